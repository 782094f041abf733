package com.factoryfinder.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.factoryfinder.v1.BatchSearchRequest;
import com.factoryfinder.v1.BatchSearchResponse;
import com.factoryfinder.v1.Complexity;
import com.factoryfinder.v1.CustomOrderPlan;
import com.factoryfinder.v1.ErrorReason;
import com.factoryfinder.v1.GetQuotaRequest;
import com.factoryfinder.v1.GetQuotaResponse;
import com.factoryfinder.v1.OrderSpec;
import com.factoryfinder.v1.Photo;
import com.factoryfinder.v1.PhotoOutcome;
import com.factoryfinder.v1.PhotoRole;
import com.factoryfinder.v1.PlanCustomOrderRequest;
import com.factoryfinder.v1.PlanCustomOrderResponse;
import com.factoryfinder.v1.QuotaUsage;
import com.factoryfinder.v1.RankedOffer;
import com.factoryfinder.v1.SearchByImageRequest;
import com.factoryfinder.v1.SearchByImageResponse;
import com.factoryfinder.v1.SearchOptions;
import com.factoryfinder.v1.SearchServiceGrpc;
import com.factoryfinder.v1.SearchServiceGrpc.SearchServiceBlockingStub;
import com.factoryfinder.v1.VerifiedOffer;
import com.factoryfinder.v1.VerifyByImagesRequest;
import com.factoryfinder.v1.VerifyByImagesResponse;
import com.factoryfinder.v1.VerifyMode;
import com.google.protobuf.ByteString;
import com.google.protobuf.Struct;
import com.google.protobuf.util.Durations;
import com.google.protobuf.util.JsonFormat;
import com.google.type.Money;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The interop scenario against a running stack; the same as tests/interop/go. */
class InteropTest {
  /** A "photo" every test expects to be refused as INVALID_ARGUMENT. */
  private static final ByteString NOT_A_PHOTO =
      ByteString.copyFromUtf8("this is a shopping list, not a photo");

  /** The ErrorReasons a bad photo may get (errors.proto, photos section). */
  private static final Set<String> IMAGE_REASONS =
      Set.of("NOT_AN_IMAGE", "IMAGE_CORRUPT", "IMAGE_TRUNCATED", "IMAGE_FORMAT_UNSUPPORTED", "INVALID_REQUEST");

  private final List<ManagedChannel> channels = new ArrayList<>();

  @AfterEach
  void closeChannels() throws InterruptedException {
    for (ManagedChannel channel : channels) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  /** The endpoints file whose path is in env {@code variable}: service → host:port, and api_key. */
  private static Map<String, String> endpoints(String variable) throws IOException {
    String path = System.getenv(variable);
    assumeTrue(path != null && !path.isEmpty(),
        variable + " is not set: no running stack to call (tests/interop/test_interop.py sets it)");
    Struct.Builder json = Struct.newBuilder();
    JsonFormat.parser().merge(Files.readString(Path.of(path)), json);
    Map<String, String> result = new TreeMap<>();
    json.getFieldsMap().forEach((key, value) -> result.put(key, value.getStringValue()));
    assertFalse(result.getOrDefault("aggregator", "").isEmpty(), path + " lacks aggregator");
    assertFalse(result.getOrDefault("api_key", "").isEmpty(), path + " lacks api_key");
    return result;
  }

  private ManagedChannel channel(String variable) throws IOException {
    Map<String, String> found = endpoints(variable);
    ManagedChannel channel = Clients.dial(found.get("aggregator"), found.get("api_key"));
    channels.add(channel);
    return channel;
  }

  private SearchServiceBlockingStub api(String variable) throws IOException {
    return SearchServiceGrpc.newBlockingStub(channel(variable)).withDeadlineAfter(60, TimeUnit.SECONDS);
  }

  private static Photo photo(long seed, ProductPhoto.View view) {
    PhotoRole role = switch (view) {
      case FRONT -> PhotoRole.PHOTO_ROLE_PRODUCT;
      case DETAIL -> PhotoRole.PHOTO_ROLE_DETAIL;
      case SCENE -> PhotoRole.PHOTO_ROLE_SCENE;
    };
    return Photo.newBuilder().setImageData(ByteString.copyFrom(ProductPhoto.jpeg(seed, view))).setRole(role).build();
  }

  /** The main picture of the first offer {@code found} lists, by URL: a product the sandbox sells. */
  private static Photo soldPhoto(SearchByImageResponse found) {
    assertFalse(found.getOffersList().isEmpty(), "no offer with a picture to search with");
    String url = found.getOffers(0).getOffer().getImageUrl();
    assertFalse(url.isEmpty(), "the first offer has no picture");
    return Photo.newBuilder().setImageUrl(url).setRole(PhotoRole.PHOTO_ROLE_PRODUCT).build();
  }

  private static long nanos(Money money) {
    return money.getUnits() * 1_000_000_000L + money.getNanos();
  }

  @Test
  void searchByImageRanksOffers() throws IOException {
    SearchByImageResponse found = api("FF_ENDPOINTS_FILE").searchByImage(SearchByImageRequest.newBuilder()
        .setPhoto(photo(11, ProductPhoto.View.FRONT))
        .setOptions(SearchOptions.newBuilder().setPageSize(20).setEnrichTopK(3).setLocale("en"))
        .build());
    assertFalse(found.getOffersList().isEmpty(), "no offers for the sample photo");
    for (int i = 0; i < found.getOffersCount(); i++) {
      RankedOffer ranked = found.getOffers(i);
      assertEquals(i + 1, ranked.getRank());
      assertFalse(ranked.getOffer().getOfferId().isEmpty());
      if (ranked.getOffer().hasPrice()) {
        assertEquals("CNY", ranked.getOffer().getPrice().getCurrencyCode());
      }
    }
    // The drawn photo is of nothing the sandbox sells: the answer may name no factory, and
    // then says why. A photo of a product it sells (an offer's picture, by URL, as a buyer
    // pastes one) must name one, and the default order puts it first.
    if (found.getAnswer().getFound()) {
      assertEquals(found.getOffers(0).getOffer().getOfferId(), found.getAnswer().getSourceOfferId());
    } else {
      assertEquals("", found.getAnswer().getSourceOfferId());
      assertFalse(found.getAnswer().getSummary().isEmpty());
    }
    SearchByImageResponse sold = api("FF_ENDPOINTS_FILE").searchByImage(SearchByImageRequest.newBuilder()
        .setPhoto(soldPhoto(found)).setOptions(SearchOptions.newBuilder().setLocale("en")).build());
    assertTrue(sold.getAnswer().getFound(), sold.getAnswer().getSummary());
    assertEquals(sold.getOffers(0).getOffer().getOfferId(), sold.getAnswer().getSourceOfferId());
    assertEquals("JPEG", found.getImage().getSourceFormat());
    assertEquals(ProductPhoto.SIDE, found.getImage().getSourceWidth());
    assertFalse(found.getRequestId().isEmpty());
  }

  @Test
  void verifyByImagesKeepsOffersThePhotosAgreeOn() throws IOException {
    VerifyByImagesResponse verified = api("FF_ENDPOINTS_FILE").verifyByImages(VerifyByImagesRequest.newBuilder()
        .addPhotos(photo(12, ProductPhoto.View.FRONT))
        .addPhotos(photo(12, ProductPhoto.View.DETAIL))
        .addPhotos(photo(12, ProductPhoto.View.SCENE))
        .setMode(VerifyMode.VERIFY_MODE_CONSENSUS)
        .setOptions(SearchOptions.newBuilder().setLocale("en"))
        .build());
    assertEquals(3, verified.getPhotosCount());
    for (PhotoOutcome outcome : verified.getPhotosList()) {
      assertTrue(outcome.getOk(), "photo " + outcome.getIndex() + ": " + Problem.of(outcome.getError()));
    }
    assertEquals(VerifyMode.VERIFY_MODE_CONSENSUS, verified.getMode());
    assertTrue(verified.getMinPhotos() >= 2);
    assertFalse(verified.getOffersList().isEmpty(), "three photos of one product agreed on no offer");
    for (VerifiedOffer offer : verified.getOffersList()) {
      assertTrue(offer.getFoundBy() >= verified.getMinPhotos());
      assertEquals(offer.getFoundBy(), offer.getPhotoIndexesCount());
    }
  }

  @Test
  void planCustomOrderAddsUpToTheFen() throws IOException {
    SearchServiceBlockingStub api = api("FF_ENDPOINTS_FILE");
    // The answer's match set for a product the sandbox sells, source first.
    SearchByImageResponse drawn = api.searchByImage(SearchByImageRequest.newBuilder()
        .setPhoto(photo(11, ProductPhoto.View.FRONT))
        .setOptions(SearchOptions.newBuilder().setLocale("en"))
        .build());
    SearchByImageResponse found = api.searchByImage(SearchByImageRequest.newBuilder()
        .setPhoto(soldPhoto(drawn))
        .setOptions(SearchOptions.newBuilder().setEnrichTopK(5).setLocale("en"))
        .build());
    List<String> ids = found.getOffersList().stream().limit(3).map(r -> r.getOffer().getOfferId()).toList();
    PlanCustomOrderResponse planned = api.planCustomOrder(PlanCustomOrderRequest.newBuilder()
        .addAllOfferIds(ids)
        .setOrder(OrderSpec.newBuilder().setQuantity(500).setComplexity(Complexity.COMPLEXITY_STANDARD).setLocale("en"))
        .build());
    assertEquals(ids.size(), planned.getPlansCount() + planned.getRefusalsCount());
    assertFalse(planned.getPlansList().isEmpty(), "every offer refused: " + planned.getRefusalsList());
    long previous = Long.MIN_VALUE;
    for (CustomOrderPlan plan : planned.getPlansList()) {
      assertEquals(nanos(plan.getSampleTotal()) + nanos(plan.getBatchTotal()) + nanos(plan.getFreight()),
          nanos(plan.getGrandTotal()), "grand total of " + plan.getOfferId());
      assertEquals(nanos(plan.getBatchTotal()) + nanos(plan.getFreight()),
          nanos(plan.getDeposit()) + nanos(plan.getBalance()), "deposit + balance of " + plan.getOfferId());
      assertEquals("CNY", plan.getGrandTotal().getCurrencyCode());
      assertEquals(500, plan.getRequestedQuantity());
      assertTrue(plan.getPlannedQuantity() >= 500);
      assertTrue(nanos(plan.getGrandTotal()) >= previous, "plans are not cheapest first");
      previous = nanos(plan.getGrandTotal());
    }
  }

  @Test
  void batchSearchReportsABadPhotoAndGoesOn() throws Exception {
    Map<String, BatchSearchResponse> seen = new ConcurrentHashMap<>();
    CompletableFuture<BatchSearchResponse> done = new CompletableFuture<>();
    StreamObserver<BatchSearchRequest> requests = SearchServiceGrpc.newStub(channel("FF_ENDPOINTS_FILE"))
        .withDeadlineAfter(60, TimeUnit.SECONDS)
        .batchSearch(new StreamObserver<>() {
          private BatchSearchResponse last;

          @Override public void onNext(BatchSearchResponse response) {
            seen.put(response.getItemId(), response);
            last = response;
          }

          @Override public void onError(Throwable error) {
            done.completeExceptionally(error);
          }

          @Override public void onCompleted() {
            done.complete(last);
          }
        });
    Map<String, Photo> items = new TreeMap<>(Map.of(
        "good-1", photo(13, ProductPhoto.View.FRONT),
        "bad", Photo.newBuilder().setImageData(NOT_A_PHOTO).build(),
        "good-2", photo(14, ProductPhoto.View.FRONT),
        "good-3", photo(15, ProductPhoto.View.FRONT)));
    for (String id : List.of("good-1", "bad", "good-2", "good-3")) { // the bad one is not last
      requests.onNext(BatchSearchRequest.newBuilder().setItemId(id).setPhoto(items.get(id)).setExpectedTotal(4).build());
    }
    requests.onCompleted();
    BatchSearchResponse last = done.get(90, TimeUnit.SECONDS); // an onError here means the stream broke
    assertEquals(items.keySet(), new TreeMap<>(seen).keySet());
    for (String id : List.of("good-1", "good-2", "good-3")) {
      assertFalse(seen.get(id).getResult().getOffersList().isEmpty(), id + ": " + Problem.of(seen.get(id).getError()));
    }
    Problem bad = Problem.of(seen.get("bad").getError());
    assertEquals(Status.Code.INVALID_ARGUMENT, bad.code());
    assertNotNull(bad.info(), "bad photo entry without ErrorInfo");
    assertEquals("factoryfinder", bad.info().getDomain());
    assertTrue(IMAGE_REASONS.contains(bad.info().getReason()), bad.info().getReason());
    assertEquals(4, last.getProgress().getDone());
    assertEquals(1, last.getProgress().getFailed());
    assertEquals(4, last.getProgress().getTotal());
  }

  @Test
  void badImageIsInvalidArgumentWithDetails() throws IOException {
    SearchServiceBlockingStub api = api("FF_ENDPOINTS_FILE");
    StatusRuntimeException error = assertThrows(StatusRuntimeException.class, () -> api.searchByImage(
        SearchByImageRequest.newBuilder().setPhoto(Photo.newBuilder().setImageData(NOT_A_PHOTO)).build()));
    Problem problem = Problem.of(error);
    assertEquals(Status.Code.INVALID_ARGUMENT, problem.code());
    assertNotNull(problem.info(), "no ErrorInfo in " + error);
    assertEquals("factoryfinder", problem.info().getDomain());
    assertTrue(IMAGE_REASONS.contains(problem.info().getReason()), problem.info().getReason());
    assertTrue(Stream.of(ErrorReason.values()).anyMatch(r -> r.name().equals("ERROR_REASON_" + problem.info().getReason())),
        "reason not in the ErrorReason enum");
    assertNotNull(problem.badRequest(), "no BadRequest in " + error);
    assertFalse(problem.badRequest().getFieldViolations(0).getField().isEmpty());
  }

  @Test
  void missingApiKeyIsUnauthenticated() throws IOException {
    ManagedChannel bare = ManagedChannelBuilder.forTarget(endpoints("FF_ENDPOINTS_FILE").get("aggregator"))
        .usePlaintext().build();
    channels.add(bare);
    StatusRuntimeException error = assertThrows(StatusRuntimeException.class,
        () -> SearchServiceGrpc.newBlockingStub(bare).withDeadlineAfter(30, TimeUnit.SECONDS)
            .getQuota(GetQuotaRequest.getDefaultInstance()));
    Problem problem = Problem.of(error);
    assertEquals(Status.Code.UNAUTHENTICATED, problem.code());
    assertEquals("API_KEY_MISSING", problem.info().getReason());
  }

  /** The quota stack allows a few image searches a day: distinct photos must soon be refused. */
  @Test
  void exhaustedQuotaIsResourceExhaustedWithDetails() throws IOException {
    SearchServiceBlockingStub api = api("FF_QUOTA_ENDPOINTS_FILE");
    StatusRuntimeException refused = null;
    for (long seed = 200; seed < 212 && refused == null; seed++) {
      try {
        api.searchByImage(SearchByImageRequest.newBuilder().setPhoto(photo(seed, ProductPhoto.View.FRONT)).build());
      } catch (StatusRuntimeException e) {
        refused = e;
      }
    }
    assertNotNull(refused, "12 searches and no refusal");
    Problem problem = Problem.of(refused);
    assertEquals(Status.Code.RESOURCE_EXHAUSTED, problem.code(), refused.toString());
    assertEquals("factoryfinder", problem.info().getDomain());
    assertTrue(Set.of("QUOTA_EXHAUSTED", "TENANT_QUOTA_EXHAUSTED").contains(problem.info().getReason()),
        problem.info().getReason());
    assertNotNull(problem.quota(), "no QuotaFailure");
    assertFalse(problem.quota().getViolations(0).getSubject().isEmpty());
    assertNotNull(problem.retry(), "no RetryInfo");
    long delaySeconds = Durations.toSeconds(problem.retry().getRetryDelay());
    assertTrue(delaySeconds > 0 || problem.retry().getRetryDelay().getNanos() > 0, "RetryInfo delay is zero");
    assertTrue(delaySeconds <= 24 * 3600, "RetryInfo delay beyond the next China-time midnight");
    GetQuotaResponse quota = api.getQuota(GetQuotaRequest.getDefaultInstance());
    assertTrue(Stream.concat(quota.getUsageList().stream(), quota.getAppUsageList().stream())
            .anyMatch((QuotaUsage line) -> line.getLimit() > 0 && line.getRemaining() == 0),
        "GetQuota shows no spent budget: " + quota);
  }
}
