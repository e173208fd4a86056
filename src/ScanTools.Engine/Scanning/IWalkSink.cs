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

    /// <summary>
    /// The files a folder had read when the walk was stopped (its cancellation token fired): the last chunk of the
    /// folder, never complete. Called once, after the stop, so it must be accepted without regard to that token;
    /// by default it goes to <see cref="OnListing"/>.
    /// </summary>
    void OnStopped(DirectoryListing listing) => OnListing(listing);

    /// <summary>A problem with one entry; the walk goes on.</summary>
    void OnError(ScanError error);
}
