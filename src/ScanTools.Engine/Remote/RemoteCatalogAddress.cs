using System.Text.RegularExpressions;

namespace ScanTools.Remote;

/// <summary>
/// A catalog reached through a Redis broker: <c>redis://[user@]host[:port]/catalog</c>, or <c>rediss://</c> for
/// TLS. The catalog name picks the stream (<c>scantools:{catalog}:writes</c>) that the catalog's consumer reads.
/// A password is never part of the address: it comes from a PSCredential or $env:SCANTOOLS_REDIS_PASSWORD; one
/// written in the URL is taken out (and the caller warned), so it never reaches the run's options or a message.
/// </summary>
public sealed partial record RemoteCatalogAddress
{
    /// <summary>The environment variable a password (or an ACL user's password) is read from.</summary>
    public const string PasswordVariable = "SCANTOOLS_REDIS_PASSWORD";

    /// <summary>Redis's default port.</summary>
    public const int DefaultPort = 6379;

    /// <summary>The broker's host name or address.</summary>
    public required string Host { get; init; }

    /// <summary>The broker's port.</summary>
    public int Port { get; init; } = DefaultPort;

    /// <summary>TLS (<c>rediss://</c>).</summary>
    public bool Tls { get; init; }

    /// <summary>The Redis ACL user, or null for the default user.</summary>
    public string? User { get; init; }

    /// <summary>The catalog's name on the broker: letters, digits, '.', '-', '_'.</summary>
    public required string Catalog { get; init; }

    /// <summary>True when the URL held a password (it has been taken out; warn the user: it may be in their history).</summary>
    public bool PasswordWasInUrl { get; init; }

    /// <summary>The stream the writes of this catalog travel on.</summary>
    public string StreamKey => $"scantools:{{{Catalog}}}:writes";

    /// <summary>The hash of each producer's committed sequence, which the consumer keeps current.</summary>
    public string CommittedKey => $"scantools:{{{Catalog}}}:committed";

    /// <summary>The hash of each producer's last sign of life (UTC ticks), which its publisher refreshes every second.</summary>
    public string AliveKey => $"scantools:{{{Catalog}}}:alive";

    /// <summary>The field prefix under which a consumer tells <see cref="AliveKey"/> it runs (its name follows), every second.</summary>
    public const string ConsumerAlivePrefix = "consumer:";

    /// <summary>The consumer group of the catalog's consumers.</summary>
    public const string Group = "scantools-catalog";

    /// <summary>True when <paramref name="text"/> is a redis:// or rediss:// address.</summary>
    public static bool IsRemote(string? text) =>
        text is not null && (text.StartsWith("redis://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("rediss://", StringComparison.OrdinalIgnoreCase));

    /// <summary>Parses an address; a password in it is returned separately (<paramref name="password"/>) and flagged.</summary>
    /// <exception cref="ArgumentException">Not a usable address; the message shows the form it takes.</exception>
    public static RemoteCatalogAddress Parse(string text, out string? password)
    {
        password = null;
        Match m = Shape().Match(text ?? string.Empty);
        if (!m.Success)
        {
            throw new ArgumentException($"'{Redacted(text)}' is not a broker catalog address. Write it as redis://host[:port]/catalog (rediss:// for TLS), for example redis://broker:6379/estate.");
        }
        string catalog = m.Groups["catalog"].Value;
        if (!CatalogName().IsMatch(catalog))
        {
            throw new ArgumentException($"The catalog name '{catalog}' may hold only letters, digits, '.', '-' and '_' (1 to 100 of them).");
        }
        int port = DefaultPort;
        if (m.Groups["port"].Success && (!int.TryParse(m.Groups["port"].Value, out port) || port is < 1 or > 65535))
        {
            throw new ArgumentException($"The port '{m.Groups["port"].Value}' is not a port number (1-65535).");
        }
        string? user = m.Groups["user"].Success && m.Groups["user"].Value.Length > 0 ? Uri.UnescapeDataString(m.Groups["user"].Value) : null;
        if (m.Groups["password"].Success)
        {
            password = Uri.UnescapeDataString(m.Groups["password"].Value);
        }
        return new RemoteCatalogAddress
        {
            Host = m.Groups["host"].Value.Trim('[', ']'),
            Port = port,
            Tls = m.Groups["scheme"].Value.Equals("rediss", StringComparison.OrdinalIgnoreCase),
            User = user,
            Catalog = catalog,
            PasswordWasInUrl = password is not null,
        };
    }

    /// <summary>The address without any password: what may be stored, logged and shown.</summary>
    public override string ToString() =>
        $"{(Tls ? "rediss" : "redis")}://{(User is null ? string.Empty : Uri.EscapeDataString(User) + "@")}{(Host.Contains(':') ? "[" + Host + "]" : Host)}:{Port}/{Catalog}";

    /// <summary>An address as text with any password replaced by ***, for messages about text that did not parse.</summary>
    public static string Redacted(string? text) => text is null ? string.Empty : PasswordPart().Replace(text, "$1***@");

    [GeneratedRegex(@"^(?<scheme>rediss?)://(?:(?<user>[^:@/]*)(?::(?<password>[^@]*))?@)?(?<host>\[[0-9a-fA-F:.]+\]|[^:/@\[\]]+)(?::(?<port>\d{1,5}))?/(?<catalog>[^/?#]+)/?$", RegexOptions.IgnoreCase)]
    private static partial Regex Shape();

    [GeneratedRegex(@"^[A-Za-z0-9._-]{1,100}$")]
    private static partial Regex CatalogName();

    // Up to the last '@': a password may hold '/', '?' and '#' (and '@' only percent-encoded, as URLs require); also
    // in a mistyped address (redis:/user:password@host, one slash) and after leading blanks.
    [GeneratedRegex(@"^(\s*[a-z][a-z0-9+.-]*:/{0,3}[^:@/\s]*:).*@", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex PasswordPart();
}
