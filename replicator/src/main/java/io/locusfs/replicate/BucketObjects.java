package io.locusfs.replicate;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.tomlj.Toml;
import org.tomlj.TomlParseResult;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.CreateBucketConfiguration;
import software.amazon.awssdk.services.s3.model.Delete;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.ObjectIdentifier;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * One bucket of an object store, as the bucket link uses it: whole objects in and out, byte
 * ranges, listings, deletions, and the bucket's region. Every failure is an IOException whose
 * message names the bucket and says what the store answered, in its words; credentials are
 * never part of a message or a log line. The AWS SDK signs and sends (path-style requests, so
 * any S3 endpoint such as Ceph's RADOS Gateway works); thread-safe.
 */
final class BucketObjects implements AutoCloseable {
    private final ReplicationConfig.Bucket bucket;
    private final S3Client s3;

    BucketObjects(ReplicationConfig.Bucket bucket) throws IOException {
        this.bucket = bucket;
        this.s3 = S3Client.builder()
                .endpointOverride(URI.create(bucket.endpoint()))
                .region(Region.of(bucket.region() != null ? bucket.region() : "us-east-1"))
                .forcePathStyle(true)
                .credentialsProvider(credentials(bucket.credentials()))
                // Checksums only where the API requires them: gateways other than AWS refuse the SDK's default trailers.
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClient(UrlConnectionHttpClient.builder().connectionTimeout(Duration.ofSeconds(10))
                        .socketTimeout(Duration.ofSeconds(60)).build())
                .build();
    }

    /** The access and secret key from {@code file} ({@code access_key}, {@code secret_key}), else the environment's. */
    private static AwsCredentialsProvider credentials(Path file) throws IOException {
        if (file == null) {
            return EnvironmentVariableCredentialsProvider.create();
        }
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": no such credentials file");
        }
        TomlParseResult toml = Toml.parse(file);
        if (toml.hasErrors()) {
            throw new IOException(file + ":" + toml.errors().get(0).position().line() + ": " + toml.errors().get(0).getMessage());
        }
        String access = toml.getString("access_key");
        String secret = toml.getString("secret_key");
        if (access == null || secret == null) {
            throw new IOException(file + ": needs access_key and secret_key");
        }
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(access, secret));
    }

    String describe() {
        return "bucket " + bucket.name() + " at " + bucket.endpoint();
    }

    /**
     * Makes the bucket if it does not exist (in the configured region), and checks that the
     * region the store reports for it is the configured one.
     *
     * @throws StreamException when the bucket is in another region than configured
     */
    void ensure() throws IOException {
        boolean exists = call(() -> {
            try {
                s3.headBucket(b -> b.bucket(bucket.name()));
                return true;
            } catch (NoSuchBucketException e) {
                return false;
            } catch (S3Exception e) {
                if (e.statusCode() == 404) {
                    return false;
                }
                throw e;
            }
        });
        if (!exists) {
            try {
                call(() -> s3.createBucket(b -> {
                    b.bucket(bucket.name());
                    if (bucket.region() != null && !bucket.region().equals("us-east-1")) {
                        b.createBucketConfiguration(CreateBucketConfiguration.builder().locationConstraint(bucket.region()).build());
                    }
                }));
            } catch (IOException e) {
                if (e.getMessage().contains("InvalidLocationConstraint")) {
                    throw new StreamException(describe() + " cannot be made in region " + bucket.region() + ", which the store does not have ("
                            + e.getMessage().substring(describe().length()).strip() + ")");
                }
                throw e;
            }
        }
        if (bucket.region() != null) {
            String reported = call(() -> s3.getBucketLocation(b -> b.bucket(bucket.name())).locationConstraintAsString());
            // S3 reports the original region (us-east-1) as no constraint at all.
            String region = reported == null || reported.isEmpty() ? "us-east-1" : reported;
            if (!region.equals(bucket.region())) {
                throw new StreamException(describe() + " is in region " + region + ", not " + bucket.region()
                        + " as configured: its data would not live where the mirror's zone says");
            }
        }
    }

    void put(String key, byte[] data) throws IOException {
        call(() -> s3.putObject(b -> b.bucket(bucket.name()).key(key).contentLength((long) data.length), RequestBody.fromBytes(data)));
    }

    /** The object's bytes, empty when there is no such object. */
    Optional<byte[]> get(String key) throws IOException {
        return call(() -> {
            // Read into an array of the object's size: a pack is 16 MiB, and the heap is not large.
            try (ResponseInputStream<GetObjectResponse> in = s3.getObject(b -> b.bucket(bucket.name()).key(key))) {
                Long length = in.response().contentLength();
                if (length == null || length > Integer.MAX_VALUE - 16) {
                    return Optional.of(in.readAllBytes());
                }
                byte[] bytes = new byte[length.intValue()];
                int n = in.readNBytes(bytes, 0, bytes.length);
                return Optional.of(n == bytes.length ? bytes : java.util.Arrays.copyOf(bytes, n));
            } catch (NoSuchKeyException e) {
                return Optional.empty();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    /** The objects {@code keys} that exist, read {@link #PARALLEL} at a time, in the order given. */
    Map<String, byte[]> getAll(List<String> keys) throws IOException {
        Map<String, java.util.concurrent.Future<Optional<byte[]>>> pending = new java.util.LinkedHashMap<>();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(PARALLEL);
        try {
            for (String key : keys) {
                pending.put(key, pool.submit(() -> get(key)));
            }
            Map<String, byte[]> all = new java.util.LinkedHashMap<>();
            for (Map.Entry<String, java.util.concurrent.Future<Optional<byte[]>>> e : pending.entrySet()) {
                try {
                    e.getValue().get().ifPresent(bytes -> all.put(e.getKey(), bytes));
                } catch (java.util.concurrent.ExecutionException x) {
                    throw x.getCause() instanceof IOException io ? io : new IOException(x.getCause().getMessage(), x.getCause());
                } catch (InterruptedException x) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted");
                }
            }
            return all;
        } finally {
            pool.shutdownNow();
        }
    }

    /** Requests {@link #getAll} has in flight at once. */
    private static final int PARALLEL = 8;

    /** {@code length} bytes at {@code offset} of object {@code key}, which must exist. */
    byte[] range(String key, long offset, int length) throws IOException {
        byte[] bytes = call(() -> s3.getObjectAsBytes(b -> b.bucket(bucket.name()).key(key)
                .range("bytes=" + offset + "-" + (offset + length - 1))).asByteArrayUnsafe());
        if (bytes.length != length) {
            throw new StreamException(describe() + ": " + key + " is shorter than its index says (" + bytes.length + " of " + length
                    + " bytes at " + offset + ")");
        }
        return bytes;
    }

    /** Every object whose key starts with {@code prefix}, with its size, in key order. */
    Map<String, Long> list(String prefix) throws IOException {
        Map<String, Long> sizes = new java.util.TreeMap<>();
        listed(prefix).forEach((key, stored) -> sizes.put(key, stored.size()));
        return sizes;
    }

    /** An object as a listing shows it. */
    record Stored(long size, java.time.Instant modified) {
    }

    /** Every object whose key starts with {@code prefix}, with its size and time, in key order. */
    Map<String, Stored> listed(String prefix) throws IOException {
        Map<String, Stored> all = new java.util.TreeMap<>();
        String[] token = {null};
        do {
            ListObjectsV2Response page = call(() -> s3.listObjectsV2(b -> b.bucket(bucket.name()).prefix(prefix).continuationToken(token[0])));
            for (S3Object o : page.contents()) {
                all.put(o.key(), new Stored(o.size(), o.lastModified()));
            }
            token[0] = Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null;
        } while (token[0] != null);
        return all;
    }

    void delete(List<String> keys) throws IOException {
        for (int i = 0; i < keys.size(); i += 1000) {
            List<ObjectIdentifier> ids = new ArrayList<>();
            for (String key : keys.subList(i, Math.min(keys.size(), i + 1000))) {
                ids.add(ObjectIdentifier.builder().key(key).build());
            }
            call(() -> s3.deleteObjects(b -> b.bucket(bucket.name()).delete(Delete.builder().objects(ids).quiet(true).build())));
        }
    }

    private interface Call<T> {
        T run();
    }

    /** Runs a request, turning the SDK's exceptions into IOExceptions in the store's words. */
    private <T> T call(Call<T> request) throws IOException {
        try {
            return request.run();
        } catch (S3Exception e) {
            String says = e.awsErrorDetails() != null && e.awsErrorDetails().errorCode() != null
                    ? e.awsErrorDetails().errorCode() + (e.awsErrorDetails().errorMessage() != null ? " (" + e.awsErrorDetails().errorMessage() + ")" : "")
                    : "HTTP " + e.statusCode();
            if (e.statusCode() == 403) {
                throw new StreamException(describe() + " refused the request: " + says + "; check the credentials");
            }
            throw new IOException(describe() + " answered " + says);
        } catch (SdkClientException e) {
            if (String.valueOf(e.getMessage()).startsWith("Unable to load credentials")) {
                throw new StreamException(describe() + ": no credentials: give 'credentials' in the mirror's config, or set "
                        + "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY");
            }
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new IOException(describe() + " cannot be reached: " + (cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName()));
        } catch (SdkException e) {
            throw new IOException(describe() + ": " + e.getMessage());
        } catch (java.io.UncheckedIOException e) {
            throw new IOException(describe() + ": the connection broke off: " + e.getCause().getMessage(), e.getCause());
        }
    }

    @Override
    public void close() {
        s3.close();
    }
}
