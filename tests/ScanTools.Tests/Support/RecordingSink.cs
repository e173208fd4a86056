using System.Collections.Concurrent;
using ScanTools.Scanning;
using ScanTools.Storage.Writes;

namespace ScanTools.Tests.Support;

/// <summary>Collects what a walker emits, from any thread.</summary>
public sealed class RecordingSink : IWalkSink
{
    public ConcurrentBag<DirectoryListing> Listings { get; } = new();

    public ConcurrentBag<ScanError> Errors { get; } = new();

    /// <summary>Runs on every listing before it is recorded (tests use it to change the tree mid-walk).</summary>
    public Action<DirectoryListing>? BeforeListing { get; init; }

    public void OnListing(DirectoryListing listing)
    {
        BeforeListing?.Invoke(listing);
        Listings.Add(listing);
    }

    public void OnError(ScanError error) => Errors.Add(error);

    public IReadOnlyList<FileRecord> Records => Listings.SelectMany(l => l.Files).ToList();

    public ISet<string> Paths => Records.Select(r => r.FullName).ToHashSet(StringComparer.Ordinal);
}
