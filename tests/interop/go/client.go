// Package interop calls factoryfinder's public API from Go the way a user
// would: a channel that sends the API key with every call, typed stubs
// generated from our protos, and the google.rpc error details decoded.
// The README's "Calling from Go" section quotes this file.
package interop

import (
	"context"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	spb "google.golang.org/genproto/googleapis/rpc/status"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Dial opens a channel to the aggregator that carries `authorization: Bearer <key>`
// on every call. Plaintext is for localhost; use TLS credentials elsewhere.
func Dial(target, apiKey string) (*grpc.ClientConn, error) {
	withKey := func(ctx context.Context) context.Context {
		return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+apiKey)
	}
	return grpc.NewClient(target,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any,
			cc *grpc.ClientConn, invoke grpc.UnaryInvoker, opts ...grpc.CallOption) error {
			return invoke(withKey(ctx), method, req, reply, cc, opts...)
		}),
		grpc.WithStreamInterceptor(func(ctx context.Context, desc *grpc.StreamDesc,
			cc *grpc.ClientConn, method string, stream grpc.Streamer,
			opts ...grpc.CallOption) (grpc.ClientStream, error) {
			return stream(withKey(ctx), desc, cc, method, opts...)
		}),
	)
}

// Problem is a factoryfinder error decoded from its google.rpc.Status details.
type Problem struct {
	Code       codes.Code
	Message    string
	Info       *errdetails.ErrorInfo    // always present: domain "factoryfinder" + reason
	BadRequest *errdetails.BadRequest   // which field was wrong
	Quota      *errdetails.QuotaFailure // which budget is spent
	Retry      *errdetails.RetryInfo    // when to try again
}

// Explain decodes the error of a failed call.
func Explain(err error) Problem {
	return explain(status.Convert(err))
}

// ExplainStatus decodes a google.rpc.Status carried inside a response
// (BatchSearchResponse.error, PhotoOutcome.error).
func ExplainStatus(s *spb.Status) Problem {
	return explain(status.FromProto(s))
}

func explain(st *status.Status) Problem {
	p := Problem{Code: st.Code(), Message: st.Message()}
	for _, detail := range st.Details() {
		switch d := detail.(type) {
		case *errdetails.ErrorInfo:
			p.Info = d
		case *errdetails.BadRequest:
			p.BadRequest = d
		case *errdetails.QuotaFailure:
			p.Quota = d
		case *errdetails.RetryInfo:
			p.Retry = d
		}
	}
	return p
}
