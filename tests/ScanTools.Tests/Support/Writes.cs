using ScanTools.Scanning;
using ScanTools.Storage.Writes;

namespace ScanTools.Tests.Support;

/// <summary>Synthetic catalog writes: what a walker would send, without a file system.</summary>
public static class Writes
{
    public static ScanRunStart Start(Guid run) => new() { RunKey = run, StartedUtc = DateTime.UtcNow, Roots = new[] { "/synthetic" } };

    public static DirectoryListing Listing(Guid run, string directory, int files, string prefix = "f", ListingMode mode = ListingMode.Records) => new()
    {
        RunKey = run,
        DirectoryPath = directory,
        Mode = mode,
        IsComplete = mode == ListingMode.Walk,
        Files = Enumerable.Range(0, files).Select(i => new FileRecord(directory, $"{prefix}{i:D6}.dat")
        {
            Length = i,
            LastWriteTimeUtc = new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Utc).AddSeconds(i),
            Attributes = FileAttributes.Normal,
        }).ToList(),
    };
}
