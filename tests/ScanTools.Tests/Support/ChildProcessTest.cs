namespace ScanTools.Tests.Support;

/// <summary>
/// A <see cref="CatalogTest"/> that starts TestHost child processes; every child still running when the
/// test ends is killed before the temp folder goes.
/// </summary>
public abstract class ChildProcessTest : CatalogTest
{
    private readonly List<ChildWriter> _children = new();

    /// <summary>Starts a child with these TestHost arguments.</summary>
    protected ChildWriter Child(IEnumerable<string> args, bool asNobody = false) => Track(new ChildWriter(args, asNobody));

    /// <summary>Starts a child that writes <paramref name="records"/> synthetic records (see <see cref="ChildWriter.Write"/>).</summary>
    protected ChildWriter Writer(string db, int records, string prefix, params string[] extra) => Track(ChildWriter.Write(db, records, prefix, extra));

    public override void Dispose()
    {
        foreach (ChildWriter c in _children)
        {
            c.Dispose();
        }
        base.Dispose();
    }

    protected ChildWriter Track(ChildWriter child)
    {
        _children.Add(child);
        return child;
    }
}
