namespace ScanTools.Platform;

/// <summary>
/// Turns any spelling of a path (relative, with <c>..</c>, through symlinked folders) into one absolute
/// path, so that two spellings of one database find the same writer.
/// </summary>
public static class CanonicalPath
{
    private const int MaxLinkHops = 40;

    /// <summary>
    /// Resolves <paramref name="path"/> against <paramref name="baseDirectory"/> (or the process's
    /// working directory) and replaces every symlinked component that exists with its target.
    /// Components that do not exist yet are kept as written. An empty <paramref name="baseDirectory"/> counts as
    /// none (PowerShell passes <c>""</c> for <c>$null</c> to a string parameter of a .NET method).
    /// </summary>
    public static string Resolve(string path, string? baseDirectory = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string full = string.IsNullOrWhiteSpace(baseDirectory) ? Path.GetFullPath(path) : Path.GetFullPath(path, baseDirectory);
        return ResolveLinks(full, 0);
    }

    private static string ResolveLinks(string full, int hops)
    {
        string root = Path.GetPathRoot(full) ?? string.Empty;
        string[] parts = full[root.Length..].Split(
            new[] { Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar },
            StringSplitOptions.RemoveEmptyEntries);
        string current = root;
        for (int i = 0; i < parts.Length; i++)
        {
            string next = Path.Join(current, parts[i]);
            string? target = null;
            try
            {
                target = new FileInfo(next).LinkTarget; // null when not a link or not there
            }
            catch (IOException)
            {
                // Not there (yet), or unreadable: keep the name as written.
            }
            catch (UnauthorizedAccessException)
            {
            }
            if (target is null)
            {
                current = next;
                continue;
            }
            if (hops >= MaxLinkHops)
            {
                throw new IOException($"Too many levels of symbolic links while resolving '{full}'.");
            }
            string resolved = Path.GetFullPath(target, string.IsNullOrEmpty(current) ? root : current);
            string rest = string.Join(Path.DirectorySeparatorChar, parts, i + 1, parts.Length - i - 1);
            string combined = rest.Length == 0 ? resolved : Path.Join(resolved, rest);
            return ResolveLinks(Path.GetFullPath(combined), hops + 1);
        }
        return Path.TrimEndingDirectorySeparator(current.Length == 0 ? root : current) is var t && t.Length > 0 ? t : root;
    }

    /// <summary>The key two spellings of one path share: the canonical path, case-folded where the platform ignores case.</summary>
    public static string KeyOf(string canonicalPath) =>
        PathComparison.IgnoreCase ? canonicalPath.ToUpperInvariant() : canonicalPath;
}
