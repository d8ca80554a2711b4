package io.locusfs.tests;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A test CA for one test class, made before its tests and deleted after them:
 * {@code @RegisterExtension static final TestAuthority CA = new TestAuthority("origin", "mirror");}
 */
final class TestAuthority implements BeforeAllCallback, AfterAllCallback {
    private final String[] names;
    private Certificates certificates;

    TestAuthority(String... names) {
        this.names = names;
    }

    /** The CA, with a certificate for each name given. */
    Certificates get() {
        return certificates;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        certificates = Certificates.authority(names);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        certificates.delete();
    }
}
