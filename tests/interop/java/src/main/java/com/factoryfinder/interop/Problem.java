package com.factoryfinder.interop;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.QuotaFailure;
import com.google.rpc.RetryInfo;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;

/** A factoryfinder error decoded from its google.rpc.Status details; absent details are null. */
public record Problem(
    Status.Code code,
    String message,
    ErrorInfo info,
    BadRequest badRequest,
    QuotaFailure quota,
    RetryInfo retry) {

  /** Decodes the error of a failed call (a StatusRuntimeException). */
  public static Problem of(Throwable error) {
    com.google.rpc.Status status = StatusProto.fromThrowable(error);
    if (status == null) {
      return new Problem(Status.fromThrowable(error).getCode(), error.toString(), null, null, null, null);
    }
    return of(status);
  }

  /** Decodes a google.rpc.Status carried in a response (BatchSearchResponse.error). */
  public static Problem of(com.google.rpc.Status status) {
    return new Problem(
        Status.fromCodeValue(status.getCode()).getCode(),
        status.getMessage(),
        detail(status, ErrorInfo.class),
        detail(status, BadRequest.class),
        detail(status, QuotaFailure.class),
        detail(status, RetryInfo.class));
  }

  private static <T extends com.google.protobuf.Message> T detail(
      com.google.rpc.Status status, Class<T> type) {
    for (Any any : status.getDetailsList()) {
      if (any.is(type)) {
        try {
          return any.unpack(type);
        } catch (InvalidProtocolBufferException e) {
          throw new IllegalStateException("undecodable " + type.getSimpleName(), e);
        }
      }
    }
    return null;
  }
}
