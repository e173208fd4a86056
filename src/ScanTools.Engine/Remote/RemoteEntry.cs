using ScanTools.Sessions.Ipc;
using ScanTools.Storage.Writes;
using StackExchange.Redis;

namespace ScanTools.Remote;

/// <summary>
/// One batch on a catalog's stream: which producer sent it (client id, sequence, host) and its writes in the
/// same binary form processes use between them. Decoding checks every field: a bad or hostile entry is
/// refused with the reason, never half-applied.
/// </summary>
internal sealed record RemoteEntry(string ClientId, long Sequence, string Host, List<CatalogWrite> Writes)
{
    /// <summary>The format version of entries this build writes and reads.</summary>
    public const int Version = 1;

    /// <summary>Entries larger than this are refused (a batch is at most a few MiB).</summary>
    public const int MaxBodyBytes = 64 << 20;

    /// <summary>
    /// The stream entry of a batch: v, client, seq, host, body, and sum, the XxHash64 of the body (16 hex digits). A body
    /// changed on its way (bytes flipped by a faulty broker or a hand) decoded often enough into writes of files that do
    /// not exist: 122 of 150 damaged copies were committed (newcomer test 77). The sum is checked where it is given; entries
    /// of earlier producers, which give none, are read as before.
    /// </summary>
    public static NameValueEntry[] Encode(string clientId, long sequence, string host, byte[] body) => new NameValueEntry[]
    {
        new("v", Version),
        new("client", clientId),
        new("seq", sequence),
        new("host", host),
        new("body", body),
        new("sum", Sum(body)),
    };

    /// <summary>The checksum of a body: XxHash64, 16 lower-case hex digits.</summary>
    public static string Sum(byte[] body) => System.IO.Hashing.XxHash64.HashToUInt64(body).ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    public static byte[] Body(IReadOnlyList<CatalogWrite> writes)
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            CatalogWriteCodec.Write(w, writes);
        }
        return ms.ToArray();
    }

    /// <exception cref="InvalidDataException">The entry is not a ScanTools batch of this version; the message says why.</exception>
    public static RemoteEntry Decode(StreamEntry entry)
    {
        RedisValue Field(string name)
        {
            RedisValue v = entry[name];
            if (v.IsNull)
            {
                throw new InvalidDataException($"The stream entry {entry.Id} has no '{name}' field: it is not a ScanTools batch.");
            }
            return v;
        }
        if (!Field("v").TryParse(out int version) || version != Version)
        {
            throw new InvalidDataException($"The stream entry {entry.Id} is of format version '{entry["v"]}'; this ScanTools reads version {Version}.");
        }
        string client = Field("client").ToString();
        if (!Guid.TryParse(client, out _))
        {
            throw new InvalidDataException($"The stream entry {entry.Id} names no valid producer (client '{Truncate(client)}').");
        }
        if (!Field("seq").TryParse(out long sequence) || sequence < 1)
        {
            throw new InvalidDataException($"The stream entry {entry.Id} has no valid sequence number.");
        }
        string host = Field("host").ToString();
        if (host.Length is 0 or > 255)
        {
            throw new InvalidDataException($"The stream entry {entry.Id} has no valid host name.");
        }
        byte[]? body = (byte[]?)Field("body");
        if (body is null || body.Length > MaxBodyBytes)
        {
            throw new InvalidDataException($"The stream entry {entry.Id} has no body, or one larger than {MaxBodyBytes >> 20} MiB.");
        }
        RedisValue sum = entry["sum"];
        if (!sum.IsNull && !string.Equals(sum.ToString(), Sum(body), StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"The body of stream entry {entry.Id} (client {client}, sequence {sequence}) does not match its checksum: it was changed after it was sent (a faulty broker or disk, or a hand). It is not applied.");
        }
        List<CatalogWrite> writes;
        try
        {
            using var ms = new MemoryStream(body, writable: false);
            using BinaryReader r = CatalogWriteCodec.Reader(ms);
            writes = CatalogWriteCodec.ReadAll(r);
            if (ms.Position != ms.Length)
            {
                throw new InvalidDataException("bytes follow the last write");
            }
        }
        catch (Exception ex) when (ex is InvalidDataException or EndOfStreamException or ArgumentException or FormatException or OverflowException or IOException)
        {
            throw new InvalidDataException($"The body of stream entry {entry.Id} (client {client}, sequence {sequence}) is not a batch of catalog writes: {ex.Message}", ex);
        }
        if (writes.Any(w => w is CatalogPrune))
        {
            throw new InvalidDataException($"Stream entry {entry.Id} (client {client}, sequence {sequence}) asks to prune the catalog's history, which only Optimize-ScanCatalog on the catalog's computer does.");
        }
        foreach (DirectoryListing listing in writes.OfType<DirectoryListing>())
        {
            listing.FromAnotherComputer = true; // its folders are not looked for on this computer's disk
        }
        return new RemoteEntry(client, sequence, Truncate(host), writes);
    }

    private static string Truncate(string s) => s.Length <= 64 ? s : s[..64] + "…";
}
