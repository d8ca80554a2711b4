package io.locusfs.tests;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchBucketException;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * A real object store for one test class: a single-node Ceph cluster with the RADOS Gateway
 * started from Debian's packages by {@code tests/ceph/up.sh} on 127.0.0.1 before its tests and
 * stopped after them, with an S3 client of the test's own to look into buckets from outside.
 * {@code @RegisterExtension static final ObjectStore S3 = new ObjectStore("eu-central-1");}
 */
final class ObjectStore implements BeforeAllCallback, AfterAllCallback {
    private final String region;
    private Path dir;
    private Map<String, String> env;
    private S3Client client;

    ObjectStore(String region) {
        this.region = region;
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        dir = Files.createTempDirectory("locusfs-ceph-");
        int port = freePorts();
        Shell.Result up = Shell.run(120, MountedStore.HOME.resolve("tests/ceph/up.sh") + " " + dir + " " + port + " " + region);
        if (up.exit() != 0) {
            throw new IllegalStateException("the object store did not start: " + up.err() + up.out());
        }
        env = new HashMap<>();
        for (String line : Files.readAllLines(dir.resolve("s3.env"))) {
            int eq = line.indexOf('=');
            env.put(line.substring(0, eq), line.substring(eq + 1));
        }
        client = S3Client.builder().endpointOverride(URI.create(endpoint())).region(Region.of(region)).forcePathStyle(true)
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(env.get("AWS_ACCESS_KEY_ID"),
                        env.get("AWS_SECRET_ACCESS_KEY"))))
                .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
                .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED)
                .httpClient(UrlConnectionHttpClient.create()).build();
    }

    /** A port P with P + 1 also free (the gateway's and the monitor's). */
    private static int freePorts() throws IOException {
        for (int i = 0; i < 50; i++) {
            int port;
            try (ServerSocket s = new ServerSocket(0)) {
                port = s.getLocalPort();
            }
            try (ServerSocket s = new ServerSocket(port + 1)) {
                return port;
            } catch (IOException e) {
                // taken: another
            }
        }
        throw new IOException("no two free ports next to each other");
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (client != null) {
            client.close();
        }
        if (dir != null) {
            Shell.run(60, MountedStore.HOME.resolve("tests/ceph/down.sh") + " " + dir);
        }
    }

    String endpoint() {
        return env.get("S3_ENDPOINT");
    }

    String region() {
        return region;
    }

    /** A credentials file for the test user, as a [[mirror]]'s 'credentials' names. */
    Path credentials(Path dir) throws IOException {
        Path file = dir.resolve("s3.credentials");
        Files.writeString(file, "access_key = \"" + env.get("AWS_ACCESS_KEY_ID") + "\"\nsecret_key = \"" + env.get("AWS_SECRET_ACCESS_KEY") + "\"\n");
        return file;
    }

    /** Every object in {@code bucket} with its size, by key (none when there is no such bucket). */
    Map<String, Long> objects(String bucket) {
        Map<String, Long> all = new TreeMap<>();
        try {
            for (S3Object o : client.listObjectsV2Paginator(b -> b.bucket(bucket)).contents()) {
                all.put(o.key(), o.size());
            }
        } catch (NoSuchBucketException e) {
            return all;
        }
        return all;
    }

    byte[] get(String bucket, String key) {
        return client.getObjectAsBytes(b -> b.bucket(bucket).key(key)).asByteArray();
    }

    void put(String bucket, String key, byte[] bytes) {
        client.putObject(b -> b.bucket(bucket).key(key), RequestBody.fromBytes(bytes));
    }

    /** Makes bucket {@code bucket} in the store's region. */
    void createBucket(String bucket) {
        client.createBucket(b -> b.bucket(bucket).createBucketConfiguration(c -> c.locationConstraint(region)));
    }

    /** The region the store reports for {@code bucket} (its location constraint). */
    String regionOf(String bucket) {
        return client.getBucketLocation(b -> b.bucket(bucket)).locationConstraintAsString();
    }
}
