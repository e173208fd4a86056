using ScanTools.Sessions;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Sessions;

/// <summary>
/// The writer of a catalog that other processes use stays open after its last holder here let go
/// (<see cref="WriterSessionOptions.IdleLinger"/>): short commands in the writer's process no longer hand the writer role
/// over while the others write. A writer no other process used still closes at once.
/// </summary>
[Collection("MultiProcess")]
public sealed class WriterLingerTests : ChildProcessTest
{
    private static readonly WriterSessionOptions Lingering = new() { IdleLinger = TimeSpan.FromMilliseconds(300) };

    [LinuxFact]
    public void A_writer_another_process_is_connected_to_stays_open_and_is_taken_again_until_that_process_has_gone()
    {
        string db = T.Db();
        using (WriterSessionLease alone = Registry.Acquire(db, Lingering))
        {
            Assert.Equal(SessionRole.Writer, alone.Session.Role);
        }
        Assert.Empty(Registry.Sessions()); // nobody else used it: closed when its holder let go, as before

        WriterSessionLease own = Registry.Acquire(db, Lingering);
        WriterSession writer = own.Session;
        ChildWriter child = Child(new[] { "write", db, "--hold-open" });
        Assert.Equal("Forwarder", child.Role().GetProperty("role").GetString());
        own.Dispose();

        Assert.Single(Registry.Sessions()); // still registered, though nobody here holds it
        Assert.False(writer.IsClosing);
        Assert.Equal(SessionRole.Writer, writer.Role);
        using (WriterSessionLease again = Registry.Acquire(db, Lingering))
        {
            Assert.Same(writer, again.Session); // no new election, no new connection
            var run = Guid.NewGuid();
            again.Write(Writes.Start(run));
            again.Write(Writes.Listing(run, "/linger/d", 50));
            again.Flush();
        }
        Assert.False(writer.IsClosing);

        child.CloseInput();
        Assert.Equal(0, child.WaitForExit());
        Assert.True(SpinWait.SpinUntil(() => Registry.Sessions().Count == 0, TimeSpan.FromSeconds(30)), "the writer never closed after the other process left");
        Assert.True(writer.IsClosing);

        using WriterSessionLease fresh = Registry.Acquire(db, Lingering); // waits until the lingering writer has closed
        Assert.NotSame(writer, fresh.Session);
        Assert.Equal(SessionRole.Writer, fresh.Session.Role); // the lock was let go
        Assert.True(!File.Exists(db + "-wal") || new FileInfo(db + "-wal").Length == 0, "closing folds the log into the catalog, as without lingering");
        Assert.Equal(50, Sql.Files(db));
    }

    [LinuxFact]
    public void CloseAll_closes_a_lingering_writer_at_once()
    {
        string db = T.Db();
        WriterSessionLease own = Registry.Acquire(db, Lingering with { IdleLinger = TimeSpan.FromMinutes(10) });
        WriterSession writer = own.Session;
        ChildWriter child = Child(new[] { "write", db, "--hold-open" });
        Assert.Equal("Forwarder", child.Role().GetProperty("role").GetString());
        own.Dispose();
        Assert.False(writer.IsClosing);

        Registry.CloseAll(); // the process ending, or the module removed

        Assert.True(writer.IsClosing);
        Assert.Empty(Registry.Sessions());
        child.CloseInput();
        Assert.Equal(0, child.WaitForExit());
    }

    [Fact]
    public void IdleLinger_cannot_be_negative()
    {
        Assert.Throws<ArgumentException>(() => Registry.Acquire(T.Db(), new WriterSessionOptions { IdleLinger = TimeSpan.FromMilliseconds(-1) }));
    }
}
