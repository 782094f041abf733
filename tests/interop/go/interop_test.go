package interop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"testing"
	"time"

	ff "github.com/factoryfinder/factoryfinder/tests/interop/go/gen/factoryfinder/v1"
	"google.golang.org/genproto/googleapis/type/money"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// notAPhoto is a "photo" every test expects to be refused as INVALID_ARGUMENT.
var notAPhoto = []byte("this is a shopping list, not a photo")

// imageReasons are the ErrorReasons a bad photo may get (errors.proto, photos section).
var imageReasons = map[string]bool{
	"NOT_AN_IMAGE": true, "IMAGE_CORRUPT": true, "IMAGE_TRUNCATED": true,
	"IMAGE_FORMAT_UNSUPPORTED": true, "INVALID_REQUEST": true,
}

// client dials the aggregator named in the endpoints file whose path is in env `variable`.
func client(t *testing.T, variable string) (ff.SearchServiceClient, string) {
	t.Helper()
	path := os.Getenv(variable)
	if path == "" {
		t.Skipf("%s is not set: no running stack to call (tests/interop/test_interop.py sets it)", variable)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	var endpoints map[string]string
	if err := json.Unmarshal(raw, &endpoints); err != nil {
		t.Fatalf("%s is not a JSON object of strings: %v", path, err)
	}
	if endpoints["aggregator"] == "" || endpoints["api_key"] == "" {
		t.Fatalf("%s lacks aggregator or api_key: %s", path, raw)
	}
	conn, err := Dial(endpoints["aggregator"], endpoints["api_key"])
	if err != nil {
		t.Fatalf("dial %s: %v", endpoints["aggregator"], err)
	}
	t.Cleanup(func() { conn.Close() })
	return ff.NewSearchServiceClient(conn), endpoints["aggregator"]
}

func deadline(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func photo(seed int64, view View) *ff.Photo {
	roles := map[View]ff.PhotoRole{Front: ff.PhotoRole_PHOTO_ROLE_PRODUCT,
		Detail: ff.PhotoRole_PHOTO_ROLE_DETAIL, Scene: ff.PhotoRole_PHOTO_ROLE_SCENE}
	return &ff.Photo{Source: &ff.Photo_ImageData{ImageData: ProductPhoto(seed, view)}, Role: roles[view]}
}

// soldPhoto is the main picture of the first offer `found` lists, by URL: a photo of a
// product the sandbox sells (preprocess fetches it; the sandbox's image host is local).
func soldPhoto(t *testing.T, found *ff.SearchByImageResponse) *ff.Photo {
	t.Helper()
	if len(found.Offers) == 0 || found.Offers[0].Offer.GetImageUrl() == "" {
		t.Fatalf("no offer with a picture to search with: %v", found)
	}
	return &ff.Photo{Source: &ff.Photo_ImageUrl{ImageUrl: found.Offers[0].Offer.GetImageUrl()},
		Role: ff.PhotoRole_PHOTO_ROLE_PRODUCT}
}

func search(t *testing.T, api ff.SearchServiceClient, seed int64) *ff.SearchByImageResponse {
	t.Helper()
	return searchPhoto(t, api, photo(seed, Front))
}

func searchPhoto(t *testing.T, api ff.SearchServiceClient, p *ff.Photo) *ff.SearchByImageResponse {
	t.Helper()
	resp, err := api.SearchByImage(deadline(t), &ff.SearchByImageRequest{
		Photo:   p,
		Options: &ff.SearchOptions{PageSize: 20, EnrichTopK: 5, Locale: "en"},
	})
	if err != nil {
		t.Fatalf("SearchByImage: %v (%+v)", err, Explain(err))
	}
	return resp
}

func nanos(m *money.Money) int64 { return m.GetUnits()*1_000_000_000 + int64(m.GetNanos()) }

func TestSearchByImage(t *testing.T) {
	api, _ := client(t, "FF_ENDPOINTS_FILE")
	ctx := metadata.AppendToOutgoingContext(deadline(t), "x-request-id", "interop-go-search")
	var header, trailer metadata.MD
	resp, err := api.SearchByImage(ctx, &ff.SearchByImageRequest{
		Photo:   photo(1, Front),
		Options: &ff.SearchOptions{PageSize: 20, EnrichTopK: 3, Locale: "en"},
	}, grpc.Header(&header), grpc.Trailer(&trailer))
	if err != nil {
		t.Fatalf("SearchByImage: %v (%+v)", err, Explain(err))
	}
	if len(resp.Offers) == 0 {
		t.Fatalf("no offers for the sample photo: %v", resp)
	}
	for i, ranked := range resp.Offers {
		if ranked.Rank != int32(i+1) || ranked.Offer.GetOfferId() == "" {
			t.Errorf("offer %d: rank %d, id %q", i, ranked.Rank, ranked.Offer.GetOfferId())
		}
		if price := ranked.Offer.GetPrice(); price != nil && price.CurrencyCode != "CNY" {
			t.Errorf("offer %s priced in %q, want CNY", ranked.Offer.OfferId, price.CurrencyCode)
		}
	}
	// The drawn photo is of nothing the sandbox sells: the answer may name no factory,
	// and then says why. A photo of a product it sells (an offer's picture, by URL, as a
	// buyer pastes one) must name one, and the default order puts it first.
	if a := resp.GetAnswer(); a.GetFound() && a.GetSourceOfferId() != resp.Offers[0].Offer.GetOfferId() {
		t.Errorf("answer %v does not name the first offer %s", a, resp.Offers[0].Offer.GetOfferId())
	} else if !a.GetFound() && (a.GetSourceOfferId() != "" || a.GetSummary() == "") {
		t.Errorf("an answer without a match names %q or says nothing: %v", a.GetSourceOfferId(), a)
	}
	sold := searchPhoto(t, api, soldPhoto(t, resp))
	if a := sold.GetAnswer(); !a.GetFound() || a.GetSourceOfferId() != sold.Offers[0].Offer.GetOfferId() {
		t.Errorf("answer %v for an offer's own picture does not name the first offer %s", a,
			sold.Offers[0].Offer.GetOfferId())
	}
	if got := resp.Image.GetSourceFormat(); got != "JPEG" {
		t.Errorf("image report says source format %q, want JPEG", got)
	}
	if resp.Image.GetSourceWidth() != photoSide || resp.Image.GetSourceHeight() != photoSide {
		t.Errorf("image report says %dx%d, want %dx%d", resp.Image.GetSourceWidth(),
			resp.Image.GetSourceHeight(), photoSide, photoSide)
	}
	// Echoed in the response metadata: the headers or the trailers.
	echoed := append(header.Get("x-request-id"), trailer.Get("x-request-id")...)
	if resp.RequestId != "interop-go-search" || len(echoed) == 0 || echoed[0] != "interop-go-search" {
		t.Errorf("request id not echoed: field %q, metadata %v", resp.RequestId, echoed)
	}
}

func TestVerifyByImages(t *testing.T) {
	api, _ := client(t, "FF_ENDPOINTS_FILE")
	resp, err := api.VerifyByImages(deadline(t), &ff.VerifyByImagesRequest{
		Photos:  []*ff.Photo{photo(2, Front), photo(2, Detail), photo(2, Scene)},
		Mode:    ff.VerifyMode_VERIFY_MODE_CONSENSUS,
		Options: &ff.SearchOptions{Locale: "en"},
	})
	if err != nil {
		t.Fatalf("VerifyByImages: %v (%+v)", err, Explain(err))
	}
	if len(resp.Photos) != 3 {
		t.Fatalf("want an outcome per photo, got %d", len(resp.Photos))
	}
	for i, outcome := range resp.Photos {
		if outcome.Index != int32(i) || !outcome.Ok {
			t.Errorf("photo %d: index %d ok %v error %+v", i, outcome.Index, outcome.Ok,
				ExplainStatus(outcome.Error))
		}
	}
	if resp.Mode != ff.VerifyMode_VERIFY_MODE_CONSENSUS || resp.MinPhotos < 2 {
		t.Errorf("mode %v min_photos %d, want CONSENSUS with at least 2", resp.Mode, resp.MinPhotos)
	}
	if len(resp.Offers) == 0 {
		t.Fatalf("three photos of one product agreed on no offer: %v", resp)
	}
	for _, offer := range resp.Offers {
		if offer.FoundBy < resp.MinPhotos || int(offer.FoundBy) != len(offer.PhotoIndexes) {
			t.Errorf("offer %s found by %d photos %v, min %d", offer.Ranked.GetOffer().GetOfferId(),
				offer.FoundBy, offer.PhotoIndexes, resp.MinPhotos)
		}
		if offer.Confidence == ff.Confidence_CONFIDENCE_UNSPECIFIED {
			t.Errorf("offer %s has no confidence", offer.Ranked.GetOffer().GetOfferId())
		}
	}
}

func TestPlanCustomOrder(t *testing.T) {
	api, _ := client(t, "FF_ENDPOINTS_FILE")
	// The answer's match set for a product the sandbox sells, source first.
	found := searchPhoto(t, api, soldPhoto(t, search(t, api, 1)))
	var ids []string
	for _, ranked := range found.Offers {
		if len(ids) < 3 {
			ids = append(ids, ranked.Offer.OfferId)
		}
	}
	resp, err := api.PlanCustomOrder(deadline(t), &ff.PlanCustomOrderRequest{
		OfferIds: ids,
		Order:    &ff.OrderSpec{Quantity: 500, Complexity: ff.Complexity_COMPLEXITY_STANDARD, Locale: "en"},
	})
	if err != nil {
		t.Fatalf("PlanCustomOrder(%v): %v (%+v)", ids, err, Explain(err))
	}
	if len(resp.Plans)+len(resp.Refusals) != len(ids) || len(resp.Plans) == 0 {
		t.Fatalf("%d offers gave %d plans and %d refusals", len(ids), len(resp.Plans), len(resp.Refusals))
	}
	for i, plan := range resp.Plans {
		parts := nanos(plan.SampleTotal) + nanos(plan.BatchTotal) + nanos(plan.Freight)
		if nanos(plan.GrandTotal) != parts || plan.GrandTotal.CurrencyCode != "CNY" {
			t.Errorf("plan %s: grand total %v is not sample+batch+freight (%d nanos)",
				plan.OfferId, plan.GrandTotal, parts)
		}
		if nanos(plan.Deposit)+nanos(plan.Balance) != nanos(plan.BatchTotal)+nanos(plan.Freight) {
			t.Errorf("plan %s: deposit %v + balance %v is not batch + freight", plan.OfferId,
				plan.Deposit, plan.Balance)
		}
		if plan.PlannedQuantity < plan.RequestedQuantity || plan.RequestedQuantity != 500 {
			t.Errorf("plan %s: planned %d for requested %d", plan.OfferId, plan.PlannedQuantity,
				plan.RequestedQuantity)
		}
		if i > 0 && nanos(plan.GrandTotal) < nanos(resp.Plans[i-1].GrandTotal) {
			t.Errorf("plans are not cheapest first at %d", i)
		}
	}
	for _, refusal := range resp.Refusals {
		if refusal.Reason == "" || refusal.Message == "" {
			t.Errorf("refusal of %s without a reason: %v", refusal.OfferId, refusal)
		}
	}
}

func TestBatchSearchReportsABadPhotoAndGoesOn(t *testing.T) {
	api, _ := client(t, "FF_ENDPOINTS_FILE")
	stream, err := api.BatchSearch(deadline(t))
	if err != nil {
		t.Fatalf("BatchSearch: %v", err)
	}
	items := map[string]*ff.Photo{
		"good-1": photo(3, Front), "bad": {Source: &ff.Photo_ImageData{ImageData: notAPhoto}},
		"good-2": photo(4, Front), "good-3": photo(5, Front),
	}
	ids := []string{"good-1", "bad", "good-2", "good-3"} // the bad one is not last: the stream must go on
	for _, id := range ids {
		if err := stream.Send(&ff.BatchSearchRequest{ItemId: id, Photo: items[id],
			ExpectedTotal: int32(len(ids))}); err != nil {
			t.Fatalf("send %s: %v", id, err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatalf("CloseSend: %v", err)
	}
	seen := map[string]*ff.BatchSearchResponse{}
	var last *ff.BatchProgress
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the stream broke after %d results: %v (%+v)", len(seen), err, Explain(err))
		}
		seen[resp.ItemId], last = resp, resp.Progress
	}
	got := make([]string, 0, len(seen))
	for id := range seen {
		got = append(got, id)
	}
	sort.Strings(got)
	if fmt.Sprint(got) != "[bad good-1 good-2 good-3]" {
		t.Fatalf("results for %v, want every item once", got)
	}
	for _, id := range []string{"good-1", "good-2", "good-3"} {
		if len(seen[id].GetResult().GetOffers()) == 0 {
			t.Errorf("%s: no offers (error %+v)", id, ExplainStatus(seen[id].GetError()))
		}
	}
	bad := ExplainStatus(seen["bad"].GetError())
	if bad.Code != codes.InvalidArgument || bad.Info.GetDomain() != "factoryfinder" ||
		!imageReasons[bad.Info.GetReason()] {
		t.Errorf("bad photo entry: %+v", bad)
	}
	if last.GetDone() != 4 || last.GetFailed() != 1 || last.GetTotal() != 4 {
		t.Errorf("final progress %v, want done 4 failed 1 total 4", last)
	}
}

func TestBadImageIsInvalidArgumentWithDetails(t *testing.T) {
	api, _ := client(t, "FF_ENDPOINTS_FILE")
	_, err := api.SearchByImage(deadline(t), &ff.SearchByImageRequest{
		Photo: &ff.Photo{Source: &ff.Photo_ImageData{ImageData: notAPhoto}},
	})
	problem := Explain(err)
	if problem.Code != codes.InvalidArgument {
		t.Fatalf("want INVALID_ARGUMENT, got %v: %v", problem.Code, err)
	}
	if problem.Info.GetDomain() != "factoryfinder" || !imageReasons[problem.Info.GetReason()] {
		t.Errorf("ErrorInfo %v, want domain factoryfinder and an image reason", problem.Info)
	}
	if _, known := ff.ErrorReason_value["ERROR_REASON_"+problem.Info.GetReason()]; !known {
		t.Errorf("reason %q is not in the ErrorReason enum", problem.Info.GetReason())
	}
	if len(problem.BadRequest.GetFieldViolations()) == 0 ||
		problem.BadRequest.GetFieldViolations()[0].GetField() == "" {
		t.Errorf("BadRequest %v does not name the field", problem.BadRequest)
	}
}

func TestMissingApiKeyIsUnauthenticated(t *testing.T) {
	_, target := client(t, "FF_ENDPOINTS_FILE")
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = ff.NewSearchServiceClient(conn).GetQuota(deadline(t), &ff.GetQuotaRequest{})
	problem := Explain(err)
	if problem.Code != codes.Unauthenticated || problem.Info.GetReason() != "API_KEY_MISSING" {
		t.Errorf("want UNAUTHENTICATED API_KEY_MISSING, got %+v", problem)
	}
}

// The quota stack runs with a budget of a few image searches a day: searching
// distinct photos (no cache hit, no near-duplicate reuse) must soon be refused.
func TestExhaustedQuotaIsResourceExhaustedWithDetails(t *testing.T) {
	api, _ := client(t, "FF_QUOTA_ENDPOINTS_FILE")
	var err error
	for seed := int64(100); seed < 112 && err == nil; seed++ {
		_, err = api.SearchByImage(deadline(t), &ff.SearchByImageRequest{Photo: photo(seed, Front)})
	}
	problem := Explain(err)
	if problem.Code != codes.ResourceExhausted {
		t.Fatalf("want RESOURCE_EXHAUSTED within 12 searches, got %v: %v", problem.Code, err)
	}
	if reason := problem.Info.GetReason(); problem.Info.GetDomain() != "factoryfinder" ||
		(reason != "QUOTA_EXHAUSTED" && reason != "TENANT_QUOTA_EXHAUSTED") {
		t.Errorf("ErrorInfo %v, want QUOTA_EXHAUSTED or TENANT_QUOTA_EXHAUSTED", problem.Info)
	}
	violations := problem.Quota.GetViolations()
	if len(violations) == 0 || violations[0].GetSubject() == "" {
		t.Errorf("QuotaFailure %v does not say which budget", problem.Quota)
	}
	delay := problem.Retry.GetRetryDelay().AsDuration()
	if delay <= 0 || delay > 24*time.Hour {
		t.Errorf("RetryInfo delay %v, want until the next China-time midnight (0 < d <= 24h)", delay)
	}
	quota, err := api.GetQuota(deadline(t), &ff.GetQuotaRequest{})
	if err != nil {
		t.Fatalf("GetQuota: %v", err)
	}
	spent := false
	for _, line := range append(quota.Usage, quota.AppUsage...) {
		spent = spent || (line.Limit > 0 && line.Remaining == 0)
	}
	if !spent {
		t.Errorf("GetQuota shows no spent budget after the refusal: %v", quota)
	}
}
