package io.locusfs.replicate;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertStore;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CRL;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.net.ssl.CertPathTrustManagerParameters;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.conscrypt.Conscrypt;

/**
 * TLS for mirrors: TLS 1.3 only, through Conscrypt (BoringSSL), with certificates on both ends.
 * A peer is trusted when its certificate chains to the configured CA and, when a CRL is given,
 * is not revoked. Files are PEM: a certificate (chain), a PKCS#8 private key (EC or RSA, as
 * {@code openssl genpkey} writes), the CA certificate(s), a CRL. See docs/GUIDE.md, 'TLS certificates'.
 *
 * @param cert  this side's certificate (chain)
 * @param key   its private key
 * @param ca    the certificates of the CA that peers' certificates must chain to
 * @param crl   the CA's revocation list, or null
 */
public record Tls(Path cert, Path key, Path ca, Path crl) {
    public static final String PROTOCOL = "TLSv1.3";

    /** A context for either side, built from the files as they are now (call again after they change). */
    public SSLContext context() throws IOException {
        try {
            List<X509Certificate> chain = certificates(cert);
            if (chain.isEmpty()) {
                throw new IOException(cert + " holds no certificate");
            }
            KeyStore keys = KeyStore.getInstance("PKCS12");
            keys.load(null, null);
            keys.setKeyEntry("locusfs", privateKey(key), new char[0], chain.toArray(new X509Certificate[0]));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keys, new char[0]);

            Set<TrustAnchor> anchors = new HashSet<>();
            for (X509Certificate c : certificates(ca)) {
                anchors.add(new TrustAnchor(c, null));
            }
            if (anchors.isEmpty()) {
                throw new IOException(ca + " holds no CA certificate");
            }
            PKIXBuilderParameters params = new PKIXBuilderParameters(anchors, new X509CertSelector());
            params.setRevocationEnabled(crl != null);
            if (crl != null) {
                Collection<X509CRL> crls = new ArrayList<>();
                CertificateFactory factory = CertificateFactory.getInstance("X.509");
                for (var c : factory.generateCRLs(new ByteArrayInputStream(Files.readAllBytes(crl)))) {
                    crls.add((X509CRL) c);
                }
                params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(crls)));
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
            tmf.init(new CertPathTrustManagerParameters(params));

            SSLContext context = SSLContext.getInstance(PROTOCOL, Conscrypt.newProvider());
            TrustManager[] trust = tmf.getTrustManagers();
            for (int i = 0; i < trust.length; i++) {
                if (trust[i] instanceof X509ExtendedTrustManager x) {
                    trust[i] = new Tls13AuthType(x);
                }
            }
            context.init(kmf.getKeyManagers(), trust, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS files " + cert + ", " + key + ", " + ca + (crl == null ? "" : ", " + crl)
                    + " cannot be used: " + e.getMessage(), e);
        }
    }

    /** The newest modification time of the files, to notice a renewed certificate or CRL. */
    public long lastModified() {
        long newest = 0;
        for (Path p : crl == null ? List.of(cert, key, ca) : List.of(cert, key, ca, crl)) {
            try {
                newest = Math.max(newest, Files.getLastModifiedTime(p).toMillis());
            } catch (IOException e) {
                // a missing file shows up when the context is built
            }
        }
        return newest;
    }

    private static List<X509Certificate> certificates(Path file) throws IOException, GeneralSecurityException {
        List<X509Certificate> out = new ArrayList<>();
        for (var c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(Files.readAllBytes(file)))) {
            out.add((X509Certificate) c);
        }
        return out;
    }

    private static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
        String pem = Files.readString(file);
        int begin = pem.indexOf("-----BEGIN PRIVATE KEY-----");
        int end = pem.indexOf("-----END PRIVATE KEY-----");
        if (begin < 0 || end < 0) {
            throw new IOException(file + " is not a PKCS#8 PEM private key (BEGIN PRIVATE KEY); convert it with "
                    + "'openssl pkcs8 -topk8 -nocrypt'");
        }
        byte[] der = Base64.getMimeDecoder().decode(pem.substring(begin + 27, end));
        for (String algorithm : List.of("EC", "RSA", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new IOException(file + " holds a private key of an unsupported kind (use EC P-256 or RSA)");
    }

    /** True when Conscrypt's native library loads on this machine. */
    public static boolean available() {
        return Conscrypt.isAvailable();
    }

    /**
     * Conscrypt names the key exchange of TLS 1.3 "GENERIC", which the JDK's PKIX trust manager
     * does not know; the JDK itself says "UNKNOWN" there (TLS 1.3 does not tie the certificate to
     * a key exchange), so the name is translated and the JDK does the whole path check.
     */
    private static final class Tls13AuthType extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager jdk;

        Tls13AuthType(X509ExtendedTrustManager jdk) {
            this.jdk = jdk;
        }

        private static String authType(String authType) {
            return "GENERIC".equals(authType) ? "UNKNOWN" : authType;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            jdk.checkClientTrusted(chain, authType(authType), socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            jdk.checkServerTrusted(chain, authType(authType), socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            jdk.checkClientTrusted(chain, authType(authType), engine);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            jdk.checkServerTrusted(chain, authType(authType), engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            jdk.checkClientTrusted(chain, authType(authType));
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            jdk.checkServerTrusted(chain, authType(authType));
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return jdk.getAcceptedIssuers();
        }
    }
}
