using ScanTools.Storage.Writes;

namespace ScanTools.Scanning;

/// <summary>
/// Receives what a <see cref="FileWalker"/> finds. Called on the walker's threads, concurrently; a call
/// may block, which is how a slow consumer slows the walk down instead of letting memory grow.
/// An exception thrown here ends the walk and is rethrown by <see cref="FileWalker.Walk"/>.
/// </summary>
public interface IWalkSink
{
    /// <summary>A folder's files, or one chunk of them.</summary>
    void OnListing(DirectoryListing listing);

    /// <summary>A problem with one entry; the walk goes on.</summary>
    void OnError(ScanError error);
}
