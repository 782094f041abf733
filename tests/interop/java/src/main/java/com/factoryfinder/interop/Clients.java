package com.factoryfinder.interop;

import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;

/**
 * Calls factoryfinder's public API from Java the way a user would: a channel that sends the API
 * key with every call. The README's "Calling from Java" section quotes this class.
 */
public final class Clients {
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private Clients() {}

  /**
   * A channel to the aggregator that carries {@code authorization: Bearer <key>} on every call.
   * Plaintext is for localhost; use TLS ({@code useTransportSecurity()}) elsewhere.
   */
  public static ManagedChannel dial(String target, String apiKey) {
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + apiKey);
    return ManagedChannelBuilder.forTarget(target)
        .usePlaintext()
        .intercept(MetadataUtils.newAttachHeadersInterceptor(headers))
        .build();
  }
}
