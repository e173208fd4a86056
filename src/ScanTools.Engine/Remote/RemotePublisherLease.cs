using ScanTools.Sessions;
using ScanTools.Storage.Writes;

namespace ScanTools.Remote;

/// <summary>A producer's hold on this process's publisher of a remote catalog; disposing it flushes nothing by itself.</summary>
public sealed class RemotePublisherLease : ICatalogSink
{
    private readonly RemotePublisher _publisher;
    private int _disposed;

    internal RemotePublisherLease(RemotePublisher publisher) => _publisher = publisher;

    /// <summary>The publisher (for its statistics).</summary>
    public RemotePublisher Publisher => _publisher;

    /// <inheritdoc />
    public string DatabasePath => _publisher.Address.ToString();

    /// <inheritdoc />
    public void Write(CatalogWrite write, CancellationToken cancellationToken = default) => _publisher.Write(write, cancellationToken);

    /// <inheritdoc />
    public void Flush(CancellationToken cancellationToken = default) => _publisher.Flush(cancellationToken);

    /// <summary>Refusals happen on the consumer, which stores them as error items; none come back here.</summary>
    public IReadOnlyList<RejectedWrite> TakeRejected() => Array.Empty<RejectedWrite>();

    /// <inheritdoc />
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            RemotePublishers.Release(_publisher);
        }
    }
}

/// <summary>This process's publishers, one per remote catalog, shared by its producers and closed with the last.</summary>
public static class RemotePublishers
{
    private static readonly object Gate = new();
    private static readonly Dictionary<string, (RemotePublisher Publisher, int References)> Open = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Options used for publishers opened from now on (tests shorten the resend delay).</summary>
    public static RemotePublisherOptions Options { get; set; } = new();

    /// <summary>A lease on the publisher of <paramref name="address"/>, connecting it if needed.</summary>
    /// <exception cref="Storage.CatalogException">The broker cannot be reached.</exception>
    public static RemotePublisherLease Acquire(RemoteCatalogAddress address, string? password)
    {
        string key = address.ToString();
        lock (Gate)
        {
            if (Open.TryGetValue(key, out var held))
            {
                Open[key] = (held.Publisher, held.References + 1);
                return new RemotePublisherLease(held.Publisher);
            }
            RemotePublisher p = RemotePublisher.Connect(address, password, Options);
            Open[key] = (p, 1);
            return new RemotePublisherLease(p);
        }
    }

    /// <summary>The publishers open in this process (Get-ScanSession).</summary>
    public static IReadOnlyList<RemotePublisher> All()
    {
        lock (Gate)
        {
            return Open.Values.Select(v => v.Publisher).ToList();
        }
    }

    internal static void Release(RemotePublisher publisher)
    {
        bool close = false;
        lock (Gate)
        {
            string key = publisher.Address.ToString();
            if (Open.TryGetValue(key, out var held) && ReferenceEquals(held.Publisher, publisher))
            {
                if (held.References <= 1)
                {
                    Open.Remove(key);
                    close = true;
                }
                else
                {
                    Open[key] = (publisher, held.References - 1);
                }
            }
        }
        if (close)
        {
            publisher.Dispose();
        }
    }

    /// <summary>The password for a broker: the one given, else $env:SCANTOOLS_REDIS_PASSWORD, else the URL's.</summary>
    public static string? PasswordFor(string? given, string? fromUrl) =>
        given ?? (Environment.GetEnvironmentVariable(RemoteCatalogAddress.PasswordVariable) is { Length: > 0 } env ? env : fromUrl);
}
