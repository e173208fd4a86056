using System.Collections;
using System.Globalization;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Runtime.CompilerServices;
using ScanTools.Hosting;
using ScanTools.Storage;

namespace ScanTools.Commands;

/// <summary>
/// Tab completion for -Database: folders (to go on typing) and catalog files only, never a catalog's
/// -wal, -shm, -journal or lock files, nor any other file. A catalog is a file that starts with SQLite's
/// header; the folder's files are checked as completion runs.
/// </summary>
public sealed class CatalogPathCompleter : IArgumentCompleter
{
    private const int MaxResults = 200;
    private static readonly byte[] SqliteHeader = "SQLite format 3\0"u8.ToArray();
    private static readonly string[] Companions = { "-wal", "-shm", "-journal", "-scantools.lock" };

    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string typed = Unquote(wordToComplete);
        string cwd = CompletionCatalog.CurrentLocation();
        string expanded = typed.StartsWith('~') ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + typed[1..] : typed;
        int cut = Math.Max(expanded.LastIndexOf('/'), OperatingSystem.IsWindows() ? expanded.LastIndexOf('\\') : -1);
        string folderTyped = cut >= 0 ? expanded[..(cut + 1)] : string.Empty;
        string prefix = cut >= 0 ? expanded[(cut + 1)..] : expanded;
        string folder;
        try
        {
            folder = Path.GetFullPath(folderTyped.Length == 0 ? "." : folderTyped, cwd);
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException or PathTooLongException)
        {
            yield break;
        }
        string shownFolder = cut >= 0 ? typed[..(typed.Length - prefix.Length)] : string.Empty;
        IEnumerable<FileSystemInfo> entries;
        try
        {
            entries = new DirectoryInfo(folder).EnumerateFileSystemInfos(prefix + "*", new EnumerationOptions
            {
                AttributesToSkip = 0,
                IgnoreInaccessible = true,
                MatchCasing = MatchCasing.PlatformDefault,
            }).OrderBy(e => e.Name, StringComparer.OrdinalIgnoreCase).Take(5_000).ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or System.Security.SecurityException)
        {
            yield break;
        }
        int produced = 0;
        foreach (FileSystemInfo entry in entries)
        {
            bool isFolder = entry is DirectoryInfo;
            if (!isFolder && !IsCatalog(entry))
            {
                continue;
            }
            string text = shownFolder + entry.Name + (isFolder ? Path.DirectorySeparatorChar.ToString() : string.Empty);
            yield return new CompletionResult(Quote(text), entry.Name, isFolder ? CompletionResultType.ProviderContainer : CompletionResultType.ProviderItem,
                isFolder ? entry.FullName : $"{entry.FullName} ({ByteSize.Format(((FileInfo)entry).Length)} catalog)");
            if (++produced >= MaxResults)
            {
                yield break;
            }
        }
    }

    private static bool IsCatalog(FileSystemInfo entry)
    {
        if (Companions.Any(c => entry.Name.EndsWith(c, StringComparison.OrdinalIgnoreCase)) || entry.Name.Contains(".creating-", StringComparison.Ordinal))
        {
            return false;
        }
        // Only a regular file (through links) is opened: opening a FIFO waits for a writer, which froze the shell at Tab (newcomer test 68).
        if (!CatalogFileGuard.IsRegularFile(entry.FullName))
        {
            return false;
        }
        try
        {
            using var stream = new FileStream(entry.FullName, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            Span<byte> header = stackalloc byte[16];
            return stream.ReadAtLeast(header, 16, throwOnEndOfStream: false) == 16 && header.SequenceEqual(SqliteHeader);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    internal static string Unquote(string word) =>
        word.Length >= 1 && (word[0] is '\'' or '"') ? word.Trim(word[0]) : word;

    /// <summary>Quotes a completion that PowerShell would otherwise split or expand.</summary>
    internal static string Quote(string text) =>
        text.IndexOfAny(new[] { ' ', '$', '`', '\'', '"', '(', ')', '{', '}', '[', ']', ';', ',', '&', '@', '#', '|', '<', '>' }) >= 0
            ? "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'"
            : text;
}

/// <summary>
/// Tab completion for run ids (-Id, -ScanId): the catalog's runs, newest first, each with a tooltip that
/// says when it started, its status, its files and its roots. The catalog is the one the command line
/// names with -Database (else $env:SCANTOOLS_DATABASE, else the per-user catalog).
/// </summary>
public sealed class ScanRunIdCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters) =>
        CompletionCatalog.Read(fakeBoundParameters, reader => reader.GetScanRuns(new ScanRunQuery { Last = 100 })
            .Where(r => r.Id.ToString(CultureInfo.InvariantCulture).StartsWith(wordToComplete, StringComparison.Ordinal))
            .Select(r => new CompletionResult(
                r.Id.ToString(CultureInfo.InvariantCulture),
                string.Create(CultureInfo.InvariantCulture, $"{r.Id} {r.StartedUtc.ToLocalTime():yyyy-MM-dd HH:mm} {r.Status}"),
                CompletionResultType.ParameterValue,
                string.Create(CultureInfo.InvariantCulture,
                    $"Run {r.Id}: {r.Kind} started {r.StartedUtc.ToLocalTime():yyyy-MM-dd HH:mm}, {r.Status}, {r.Files:N0} files, {r.Errors:N0} errors; {string.Join(", ", r.Roots)}")))
            .ToList());
}

/// <summary>Tab completion for -Extension: the extensions most common in the catalog, most common first.</summary>
public sealed class ExtensionCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string typed = CatalogPathCompleter.Unquote(wordToComplete).TrimStart('*').TrimStart('.');
        return CompletionCatalog.Read(fakeBoundParameters, reader => reader.CommonExtensions()
            .Select(e => (Name: e.Extension.TrimStart('.'), e.Files))
            .Where(e => e.Name.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
            .Select(e => new CompletionResult(e.Name, e.Name, CompletionResultType.ParameterValue,
                string.Create(CultureInfo.InvariantCulture, $".{e.Name}: {e.Files:N0} files (among the first rows of the catalog)")))
            .ToList());
    }
}

/// <summary>Opens the catalog a command line names for a completer; any failure completes nothing.</summary>
internal static class CompletionCatalog
{
    public static IEnumerable<CompletionResult> Read(IDictionary fakeBoundParameters, Func<CatalogReader, List<CompletionResult>> read)
    {
        try
        {
            return ReadCore(fakeBoundParameters, read);
        }
        catch (Exception ex) when (ex is CatalogException or IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException)
        {
            return Array.Empty<CompletionResult>();
        }
    }

    /// <summary>
    /// PowerShell's current file-system location. A completer runs while the completion pipeline is
    /// running, so the runspace's session state is reached through a nested command.
    /// </summary>
    public static string CurrentLocation()
    {
        try
        {
            using var ps = PowerShell.Create(RunspaceMode.CurrentRunspace);
            ps.AddCommand("Microsoft.PowerShell.Management\\Get-Location").AddParameter("PSProvider", "FileSystem");
            if (ps.Invoke<PathInfo>().FirstOrDefault()?.ProviderPath is { Length: > 0 } here)
            {
                return here;
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or RuntimeException)
        {
            // No current runspace (called outside PowerShell): the process's folder.
        }
        return Directory.GetCurrentDirectory();
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static List<CompletionResult> ReadCore(IDictionary fakeBoundParameters, Func<CatalogReader, List<CompletionResult>> read)
    {
        string cwd = CurrentLocation();
        string? database = fakeBoundParameters["Database"] as string;
        if (database?.StartsWith('~') == true)
        {
            database = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) + database[1..];
        }
        CatalogLocation catalog = CatalogLocation.Resolve(database, cwd);
        using CatalogReader reader = CatalogReader.Open(catalog.Path);
        return read(reader);
    }
}

/// <summary>
/// Tab completion for rule ids (-Rule, -ExcludeRule, Get-ScanRule -Id): the built-in rules and those of the -RulePath files
/// the command line names, each with its severity and description as the tooltip. A file that cannot be read adds nothing.
/// </summary>
public sealed class RuleIdCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string typed = CatalogPathCompleter.Unquote(wordToComplete);
        var rules = new List<ScanTools.Rules.ScanRule>(ScanTools.Rules.RuleSet.Builtin.Rules);
        foreach (string file in RulePaths(fakeBoundParameters["RulePath"]))
        {
            try
            {
                string path = Path.GetFullPath(file, CompletionCatalog.CurrentLocation());
                foreach (ScanTools.Rules.ScanRule r in ScanTools.Rules.RuleSet.Load(new[] { path }, includeBuiltin: false).Rules)
                {
                    rules.RemoveAll(b => b.Id.Equals(r.Id, StringComparison.OrdinalIgnoreCase)); // a file's rule replaces the built-in one
                    rules.Add(r);
                }
            }
            catch (Exception ex) when (ex is FormatException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                // Completion offers what it can read.
            }
        }
        return rules
            .Where(r => r.Id.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
            .OrderBy(r => r.Id, StringComparer.OrdinalIgnoreCase)
            .Select(r => new CompletionResult(r.Id, r.Id, CompletionResultType.ParameterValue, $"{r.Id} ({r.Severity}): {r.Description}"))
            .ToList();
    }

    private static IEnumerable<string> RulePaths(object? value) => value switch
    {
        string one => new[] { one },
        IEnumerable many => many.OfType<object>().Select(o => o is PSObject p ? p.BaseObject : o).OfType<string>(),
        _ => Array.Empty<string>(),
    };
}

/// <summary>Tab completion for schedule names (Get-ScanSchedule, Unregister-ScanSchedule -Name): this account's schedules.</summary>
public sealed class ScheduleNameCompleter : IArgumentCompleter
{
    /// <inheritdoc />
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        string typed = CatalogPathCompleter.Unquote(wordToComplete);
        try
        {
            return ScanTools.Scheduling.ScheduleStore.ForCurrentUser().List((_, _) => { })
                .Where(s => s.Name.StartsWith(typed, StringComparison.OrdinalIgnoreCase))
                .OrderBy(s => s.Name, StringComparer.OrdinalIgnoreCase)
                .Select(s => new CompletionResult(s.Name, s.Name, CompletionResultType.ParameterValue,
                    $"{s.Name}: {s.Scheduler}, {s.When}; {string.Join(", ", s.Roots)} into {s.Database}"))
                .ToList();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return Array.Empty<CompletionResult>();
        }
    }
}
