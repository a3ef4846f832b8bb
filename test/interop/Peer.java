// A JSSE (Java's own TLS stack) interop peer, run as a single source file with Java 17:
//
//   java Peer.java server --port P --cert-p12 F[,F2] --pass X [--protocols TLSv1.3] [--ciphers A,B] [--alpn h2,http/1.1]
//                         [--groups x25519,secp256r1] [--client-auth want|need --trust-pem F] [--key-update-after N]
//       echo server on 127.0.0.1; prints `READY <port>`, then per connection
//       `PROTOCOL <p> CIPHER <c> ALPN <a> SNI <s>` and, when the client closes, `DONE <bytes> <sha256 of bytes>`.
//
//   java Peer.java client --host 127.0.0.1 --port P --trust-pem F [--protocols ..] [--ciphers ..] [--alpn ..]
//                         [--groups ..] [--sni name] [--send-bytes N] [--key-update] [--cert-p12 F --pass X]
//       handshakes, prints the same PROTOCOL line, sends N bytes of the pattern byte[i] = i % 251 (from a second
//       thread), reads N bytes back and prints `OK <sha256 of what came back>`, then closes (close_notify).
//
// KeyUpdate: on an established TLS 1.3 connection SSLSocket.startHandshake() sends a KeyUpdate.
// Errors print `ERROR <exception>` on stdout (stack on stderr) and exit 1.
import java.io.*;
import java.net.*;
import java.nio.file.*;
import java.security.*;
import java.security.cert.*;
import java.util.*;
import javax.net.ssl.*;

public class Peer {
    static final Map<String, String> opts = new HashMap<>();

    static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }

    static String opt(String name, String def) {
        String v = opts.get(name);
        return v == null ? def : v;
    }

    static String[] list(String name) {
        String v = opts.get(name);
        return v == null ? null : v.split(",");
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: java Peer.java server|client --option value ...");
            System.exit(2);
        }
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) throw new IllegalArgumentException("unexpected argument " + a);
            String key = a.substring(2);
            if (key.equals("key-update")) {
                opts.put(key, "true");
            } else {
                if (i + 1 >= args.length) throw new IllegalArgumentException("missing value for " + a);
                opts.put(key, args[++i]);
            }
        }
        // Must be set before JSSE initialises (Java 17 has no SSLParameters.setNamedGroups).
        if (opts.containsKey("groups")) System.setProperty("jdk.tls.namedGroups", opts.get("groups"));
        try {
            if (args[0].equals("server")) server();
            else if (args[0].equals("client")) client();
            else throw new IllegalArgumentException("mode must be server or client");
        } catch (Exception e) {
            say("ERROR " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }

    static SSLContext context() throws Exception {
        KeyManager[] kms = null;
        if (opts.containsKey("cert-p12")) {
            // Several files (comma-separated) are merged into one store; the PKIX key manager then picks by SNI.
            char[] pass = opt("pass", "").toCharArray();
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            int k = 0;
            for (String file : list("cert-p12")) {
                KeyStore one = KeyStore.getInstance("PKCS12");
                try (InputStream in = new FileInputStream(file)) {
                    one.load(in, pass);
                }
                for (String alias : Collections.list(one.aliases())) {
                    if (one.isKeyEntry(alias)) {
                        ks.setKeyEntry("key" + k++, one.getKey(alias, pass), pass, one.getCertificateChain(alias));
                    }
                }
            }
            KeyManagerFactory kmf = KeyManagerFactory.getInstance("PKIX");
            kmf.init(ks, pass);
            kms = new KeyManager[] {new SniKeyManager((X509ExtendedKeyManager) kmf.getKeyManagers()[0], ks)};
        }
        TrustManager[] tms = null;
        if (opts.containsKey("trust-pem")) {
            KeyStore ts = KeyStore.getInstance("PKCS12");
            ts.load(null, null);
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            int n = 0;
            try (InputStream in = new FileInputStream(opts.get("trust-pem"))) {
                for (java.security.cert.Certificate c : cf.generateCertificates(in)) ts.setCertificateEntry("ca" + n++, c);
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ts);
            tms = tmf.getTrustManagers();
        }
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kms, tms, new SecureRandom());
        return ctx;
    }

    /** Picks the server certificate whose SAN dNSName equals the client's SNI (else the default choice). */
    static final class SniKeyManager extends X509ExtendedKeyManager {
        final X509ExtendedKeyManager inner;
        final KeyStore ks;

        SniKeyManager(X509ExtendedKeyManager inner, KeyStore ks) {
            this.inner = inner;
            this.ks = ks;
        }

        String bySni(SSLSession hs) {
            if (!(hs instanceof ExtendedSSLSession)) return null;
            for (SNIServerName n : ((ExtendedSSLSession) hs).getRequestedServerNames()) {
                if (!(n instanceof SNIHostName)) continue;
                String host = ((SNIHostName) n).getAsciiName();
                try {
                    for (String alias : Collections.list(ks.aliases())) {
                        X509Certificate c = (X509Certificate) ks.getCertificate(alias);
                        if (c == null || c.getSubjectAlternativeNames() == null) continue;
                        for (List<?> san : c.getSubjectAlternativeNames()) {
                            if (Integer.valueOf(2).equals(san.get(0)) && host.equalsIgnoreCase(String.valueOf(san.get(1)))) return alias;
                        }
                    }
                } catch (Exception e) {
                    return null;
                }
            }
            return null;
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            String a = socket instanceof SSLSocket ? bySni(((SSLSocket) socket).getHandshakeSession()) : null;
            return a != null ? a : inner.chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            String a = bySni(engine.getHandshakeSession());
            return a != null ? a : inner.chooseEngineServerAlias(keyType, issuers, engine);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return inner.getClientAliases(keyType, issuers);
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            return inner.chooseClientAlias(keyType, issuers, socket);
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            return inner.chooseEngineClientAlias(keyType, issuers, engine);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return inner.getServerAliases(keyType, issuers);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            try {
                if (ks.isKeyEntry(alias)) {
                    java.security.cert.Certificate[] chain = ks.getCertificateChain(alias);
                    return Arrays.copyOf(chain, chain.length, X509Certificate[].class);
                }
            } catch (KeyStoreException ignored) {
            }
            return inner.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            try {
                if (ks.isKeyEntry(alias)) return (PrivateKey) ks.getKey(alias, opt("pass", "").toCharArray());
            } catch (GeneralSecurityException ignored) {
            }
            return inner.getPrivateKey(alias);
        }
    }

    static void configure(SSLSocket s) {
        SSLParameters p = s.getSSLParameters();
        if (opts.containsKey("protocols")) p.setProtocols(list("protocols"));
        if (opts.containsKey("ciphers")) p.setCipherSuites(list("ciphers"));
        if (opts.containsKey("alpn")) p.setApplicationProtocols(list("alpn"));
        String ca = opt("client-auth", "none");
        if (ca.equals("want")) p.setWantClientAuth(true);
        if (ca.equals("need")) p.setNeedClientAuth(true);
        s.setSSLParameters(p);
    }

    static String describe(SSLSocket s) {
        SSLSession session = s.getSession();
        String alpn = s.getApplicationProtocol();
        String sni = "-";
        if (session instanceof ExtendedSSLSession) {
            List<SNIServerName> names = ((ExtendedSSLSession) session).getRequestedServerNames();
            for (SNIServerName n : names) {
                if (n instanceof SNIHostName) sni = ((SNIHostName) n).getAsciiName();
            }
        }
        return "PROTOCOL " + session.getProtocol() + " CIPHER " + session.getCipherSuite() + " ALPN "
                + (alpn == null || alpn.isEmpty() ? "-" : alpn) + " SNI " + sni;
    }

    static String hex(byte[] b) {
        StringBuilder sb = new StringBuilder();
        for (byte x : b) sb.append(String.format("%02x", x & 0xff));
        return sb.toString();
    }

    static void server() throws Exception {
        SSLContext ctx = context();
        SSLServerSocket ss = (SSLServerSocket) ctx.getServerSocketFactory()
                .createServerSocket(Integer.parseInt(opt("port", "0")), 50, InetAddress.getByName("127.0.0.1"));
        long keyUpdateAfter = Long.parseLong(opt("key-update-after", "-1"));
        say("READY " + ss.getLocalPort());
        while (true) {
            SSLSocket s = (SSLSocket) ss.accept();
            configure(s);
            Thread t = new Thread(() -> {
                try {
                    s.startHandshake();
                    say(describe(s));
                    MessageDigest md = MessageDigest.getInstance("SHA-256");
                    InputStream in = s.getInputStream();
                    OutputStream out = s.getOutputStream();
                    byte[] buf = new byte[32768];
                    long total = 0;
                    boolean updated = false;
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        md.update(buf, 0, n);
                        out.write(buf, 0, n);
                        out.flush();
                        total += n;
                        if (!updated && keyUpdateAfter >= 0 && total >= keyUpdateAfter) {
                            s.startHandshake();
                            updated = true;
                            say("KEYUPDATE sent");
                        }
                    }
                    say("DONE " + total + " " + hex(md.digest()));
                    s.close();
                } catch (Exception e) {
                    say("ERROR " + e);
                    e.printStackTrace();
                    try {
                        s.close();
                    } catch (IOException ignored) {
                    }
                }
            });
            t.setDaemon(true);
            t.start();
        }
    }

    static void client() throws Exception {
        SSLContext ctx = context();
        String host = opt("host", "127.0.0.1");
        int port = Integer.parseInt(opt("port", "0"));
        String sni = opts.get("sni");
        Socket raw = new Socket();
        raw.connect(new InetSocketAddress(host, port), 10000);
        raw.setSoTimeout(20000);
        // The name given here is both the SNI sent (a hostname, not an IP literal) and the name verified.
        String peerHost = sni != null ? sni : host;
        SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket(raw, peerHost, port, true);
        configure(s);
        SSLParameters p = s.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        if (sni != null) p.setServerNames(List.of(new SNIHostName(sni)));
        s.setSSLParameters(p);
        s.startHandshake();
        say(describe(s));

        final long n = Long.parseLong(opt("send-bytes", "0"));
        final boolean keyUpdate = opts.containsKey("key-update");
        final OutputStream out = s.getOutputStream();
        final Exception[] writeError = new Exception[1];
        Thread writer = new Thread(() -> {
            try {
                byte[] buf = new byte[16384];
                long sent = 0;
                boolean updated = false;
                while (sent < n) {
                    int len = (int) Math.min(buf.length, n - sent);
                    for (int i = 0; i < len; i++) buf[i] = (byte) ((sent + i) % 251);
                    out.write(buf, 0, len);
                    sent += len;
                    if (keyUpdate && !updated && sent >= n / 2) {
                        s.startHandshake();
                        updated = true;
                        say("KEYUPDATE sent");
                    }
                }
                if (keyUpdate && !updated) {
                    s.startHandshake();
                    say("KEYUPDATE sent");
                }
                out.flush();
            } catch (Exception e) {
                writeError[0] = e;
            }
        });
        writer.start();
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        InputStream in = s.getInputStream();
        byte[] buf = new byte[32768];
        long got = 0;
        while (got < n) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n - got));
            if (r < 0) throw new EOFException("peer closed after " + got + " of " + n + " bytes");
            md.update(buf, 0, r);
            got += r;
        }
        writer.join();
        if (writeError[0] != null) throw writeError[0];
        say("OK " + hex(md.digest()));
        // close_notify, then wait (bounded by SO_TIMEOUT) for the peer's close_notify.
        s.shutdownOutput();
        int r = in.read(buf);
        say(r < 0 ? "CLOSED" : "CLOSED extra-data");
        s.close();
    }
}
