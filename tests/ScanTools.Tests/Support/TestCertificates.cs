using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ScanTools.Tests.Support;

/// <summary>
/// A certificate authority made for one test and a server certificate it signed for 127.0.0.1, as PEM files:
/// what a broker with TLS needs, trusted by nobody unless a process is told to (SSL_CERT_FILE).
/// </summary>
public sealed record TestCertificates(string Authority, string ServerCertificate, string ServerKey)
{
    public static TestCertificates Create(string folder)
    {
        Directory.CreateDirectory(folder);
        using RSA caKey = RSA.Create(2048);
        var caRequest = new CertificateRequest("CN=ScanTools Test CA", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using X509Certificate2 ca = caRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(2));

        using RSA serverKey = RSA.Create(2048);
        var request = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(new OidCollection { new Oid("1.3.6.1.5.5.7.3.1") }, false));
        using X509Certificate2 server = request.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));

        var files = new TestCertificates(Path.Combine(folder, "ca.pem"), Path.Combine(folder, "server.pem"), Path.Combine(folder, "server.key"));
        File.WriteAllText(files.Authority, ca.ExportCertificatePem());
        File.WriteAllText(files.ServerCertificate, server.ExportCertificatePem());
        File.WriteAllText(files.ServerKey, serverKey.ExportPkcs8PrivateKeyPem());
        return files;
    }
}
