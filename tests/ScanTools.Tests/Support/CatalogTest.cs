using ScanTools.Sessions;

namespace ScanTools.Tests.Support;

/// <summary>
/// A test with its own temp folder and its own session registry (so sessions of parallel tests never
/// meet), both cleaned up after the test.
/// </summary>
public abstract class CatalogTest : IDisposable
{
    protected TempDirectory T { get; } = new();

    protected WriterSessionRegistry Registry { get; } = new();

    public virtual void Dispose()
    {
        Registry.CloseAll();
        T.Dispose();
        GC.SuppressFinalize(this);
    }
}
