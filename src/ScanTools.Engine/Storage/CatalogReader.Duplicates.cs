using Microsoft.Data.Sqlite;

namespace ScanTools.Storage;

/// <summary>A present regular file as the catalog holds it, for the duplicate search.</summary>
internal sealed record DuplicateCandidate(string Directory, string Name, long Size, long Mtime, long? Ctime, long? Device, long? Inode, byte[]? Sha256)
{
    public string FullName => Path.Join(Directory, Name);
}

public sealed partial class CatalogReader
{
    /// <summary>
    /// Present regular files (no links, no special files) of at least <paramref name="minSize"/> bytes within
    /// <paramref name="paths"/> (Get-Finding's -Path rules; everything when empty), largest first, so that
    /// files of one size arrive together.
    /// </summary>
    internal IEnumerable<DuplicateCandidate> DuplicateCandidates(IReadOnlyList<string> paths, long minSize, CancellationToken cancellationToken)
    {
        FindingSql filter = FindingSql.PathFilter(paths, Array.Empty<string>(), IsFolder);
        if (filter.Matchers.Count > 0)
        {
            List<Matching.WildcardPattern> matchers = filter.Matchers;
            _connection.CreateFunction(FindingSql.MatchFunction, (long index, string text) => matchers[(int)index].IsMatch(text), isDeterministic: true);
        }
        return Stream();

        IEnumerable<DuplicateCandidate> Stream()
        {
            using SqliteCommand command = _connection.CreateCommand();
            command.CommandText = $"""
                SELECT d.path, f.name, f.size, f.mtime, f.ctime, f.device, f.inode, f.sha256
                FROM files f JOIN directories d ON d.id = f.dir_id
                WHERE f.removed_scan_id IS NULL AND f.kind = 0 AND f.is_link = 0 AND f.size >= $min
                {(filter.Where.Length > 0 ? "AND (" + filter.Where + ")" : string.Empty)}
                ORDER BY f.size DESC;
                """;
            command.Parameters.AddWithValue("$min", minSize);
            foreach (var p in filter.Parameters)
            {
                command.Parameters.AddWithValue(p.Key, p.Value);
            }
            using SqliteDataReader r = Execute(command);
            while (Read(r))
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return new DuplicateCandidate(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3),
                    r.IsDBNull(4) ? null : r.GetInt64(4), r.IsDBNull(5) ? null : r.GetInt64(5), r.IsDBNull(6) ? null : r.GetInt64(6),
                    r.IsDBNull(7) ? null : (byte[])r.GetValue(7));
            }
        }
    }
}
