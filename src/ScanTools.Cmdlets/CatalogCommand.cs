using System.Management.Automation;
using ScanTools.Hosting;
using ScanTools.Scanning;
using ScanTools.Storage;

namespace ScanTools.Commands;

/// <summary>What every ScanTools cmdlet that uses a catalog shares: choosing the catalog and how failures become error records.</summary>
public abstract class CatalogCommand : PSCmdlet
{
    /// <summary>The -Database value of the derived cmdlet (writers take it as given, readers also from the pipeline).</summary>
    protected abstract string? DatabaseArgument { get; }

    /// <summary>
    /// The catalog this invocation uses: -Database, else $env:SCANTOOLS_DATABASE, else the per-user
    /// catalog. Both are PowerShell paths: relative to the current location, with ~ and drives resolved.
    /// </summary>
    protected CatalogLocation ResolveCatalog()
    {
        string? remote = ScanTools.Remote.RemoteCatalogAddress.IsRemote(DatabaseArgument) ? DatabaseArgument
            : string.IsNullOrWhiteSpace(DatabaseArgument) && ScanTools.Remote.RemoteCatalogAddress.IsRemote(Environment.GetEnvironmentVariable(CatalogLocation.EnvironmentVariable))
                ? Environment.GetEnvironmentVariable(CatalogLocation.EnvironmentVariable) : null;
        if (remote is not null)
        {
            return ResolveRemote(remote);
        }
        try
        {
            string? environment = Environment.GetEnvironmentVariable(CatalogLocation.EnvironmentVariable);
            // A blank path is a mistake (an empty variable in a script): say so, never fall back to another catalog.
            if (DatabaseArgument is { Length: > 0 } given && string.IsNullOrWhiteSpace(given))
            {
                throw new ArgumentException("-Database is blank. Give the path of a catalog file.");
            }
            bool explicitPath = !string.IsNullOrWhiteSpace(DatabaseArgument);
            _catalogFromEnvironment = !explicitPath && !string.IsNullOrWhiteSpace(environment);
            // The variable is read only when -Database is not given: a blank one in a profile must not break scripts that pass it.
            if (!explicitPath && environment is { Length: > 0 } && string.IsNullOrWhiteSpace(environment))
            {
                throw new ArgumentException($"$env:{CatalogLocation.EnvironmentVariable} is blank. Set it to the path of a catalog file, or remove it to use the per-user catalog.");
            }
            if (explicitPath && LooksLikeAnAddress(DatabaseArgument!))
            {
                throw new ArgumentException($"'{ScanTools.Remote.RemoteCatalogAddress.Redacted(DatabaseArgument!.Trim())}' is not a catalog file, and the only catalog addresses are redis://host[:port]/catalog and rediss://host[:port]/catalog.");
            }
            CatalogLocation location = CatalogLocation.Resolve(
                explicitPath ? CatalogPathOf(DatabaseArgument!) : null,
                SessionState.Path.CurrentFileSystemLocation.ProviderPath,
                // An explicit -Database wins: the variable is not read (it may hold a broker address other commands use).
                explicitPath || string.IsNullOrWhiteSpace(environment) ? string.Empty : CatalogPathOf(environment!));
            string resolved = ScanTools.Platform.CanonicalPath.Resolve(location.Path); // a loop of links is a path mistake, said here
            if (ScanTools.Storage.CatalogFileGuard.CompanionOf(resolved) is (string catalog, string suffix))
            {
                // Start-Scan -Database s.db-wal made a database of the catalog's log, which the catalog's next writer then emptied.
                throw new ArgumentException($"'{location.Path}' is the {suffix} file of the catalog '{catalog}', not a catalog; ScanTools neither reads nor writes it as one. Give -Database '{catalog}'.");
            }
            if (!File.Exists(resolved) && ScanTools.Storage.CatalogFileGuard.CompanionNameProblem(location.Path) is string companionName)
            {
                // No catalog is created under such a name, even where its base is no catalog yet (it would be wiped when one is).
                throw new ArgumentException(companionName);
            }
            if (location.Path.IndexOfAny(new[] { '*', '?' }) >= 0 && !File.Exists(location.Path))
            {
                // Start-Scan -Database ./c*.db created a catalog named 'c*.db' (with its -wal, -shm and lock files).
                throw new ArgumentException($"No file is named '{location.Path}', and ScanTools does not create a catalog whose name has '*' or '?': -Database takes one literal path, not a pattern. Give an existing catalog's full name, or a new name without '*' and '?'.");
            }
            return location;
        }
        catch (IOException ex)
        {
            ThrowTerminatingError(NotingEnvironment(new ErrorRecord(new ScanArgumentException($"The catalog path is not usable: {ex.Message}", ex),
                "InvalidCatalogPath", ErrorCategory.InvalidArgument, ScanTools.Remote.RemoteCatalogAddress.Redacted(DatabaseArgument))));
            throw; // not reached
        }
        catch (CatalogException ex)
        {
            ThrowTerminatingError(CatalogError(ex)); // a path spelled as a folder
            throw; // not reached
        }
        catch (InvalidOperationException ex) when (ex is not PSInvalidOperationException)
        {
            // No per-user folder: a catalog that cannot be used, so a scheduled scan exits with CatalogUnusable (6).
            ThrowTerminatingError(new ErrorRecord(new CatalogException(CatalogErrorCode.FolderNotFound, string.Empty, ex.Message, ex),
                "NoDefaultCatalog", ErrorCategory.ObjectNotFound, null));
            throw; // not reached
        }
        catch (Exception ex) when (ex is ArgumentException or ProviderInvocationException or NotSupportedException or ProviderNotFoundException or System.Management.Automation.DriveNotFoundException or PSInvalidOperationException)
        {
            ThrowTerminatingError(NotingEnvironment(new ErrorRecord(new ScanArgumentException($"The catalog path is not usable: {ex.Message}", ex),
                "InvalidCatalogPath", ErrorCategory.InvalidArgument, ScanTools.Remote.RemoteCatalogAddress.Redacted(DatabaseArgument))));
            throw; // not reached
        }
    }

    /// <summary>
    /// A -Database (or $env:SCANTOOLS_DATABASE) as a file-system path. One spelled as a folder keeps a trailing
    /// separator, which PowerShell drops after "." or "..", so that CatalogLocation refuses it as a folder.
    /// </summary>
    private string CatalogPathOf(string spelling)
    {
        string resolved = ToFileSystemPath(spelling);
        return CatalogLocation.NamesAFolder(spelling) && !System.IO.Path.EndsInDirectorySeparator(resolved)
            ? resolved + System.IO.Path.DirectorySeparatorChar
            : resolved;
    }

    /// <summary>
    /// For a remote catalog: holds this process's publisher for the command (so the scan shares it) and warns when
    /// no consumer reads the catalog's stream: the writes then wait on the broker, and so does the end of the command.
    /// </summary>
    /// <exception cref="CatalogException">The broker cannot be reached.</exception>
    protected IDisposable? OpenRemote(CatalogLocation catalog)
    {
        if (!catalog.IsRemote)
        {
            return null;
        }
        var address = ScanTools.Remote.RemoteCatalogAddress.Parse(catalog.Path, out _);
        ScanTools.Sessions.WriterSessionLease lease = ScanTools.Sessions.WriterSessionRegistry.Shared.AcquireRemote(address, BrokerPassword);
        bool consumed;
        try
        {
            // This computer's publisher may be another process: then the broker is asked over a connection of our own.
            consumed = lease.Session.Publisher is ScanTools.Remote.RemotePublisher publisher
                ? publisher.HasActiveConsumer(TimeSpan.FromSeconds(30))
                : ScanTools.Remote.RemotePublisher.HasActiveConsumer(address, BrokerPassword, TimeSpan.FromSeconds(30));
        }
        catch
        {
            lease.Dispose();
            throw;
        }
        if (!consumed)
        {
            WriteWarning($"No consumer has read {catalog.Path} in the last 30 seconds: the writes wait on the broker until Start-ScanConsumer runs on the computer that holds the catalog, and this command waits up to 10 minutes for them to be committed.");
        }
        return lease;
    }

    /// <summary>A URL of another scheme (http://), or a broker address mistyped (redis:/host): not a file path. C:\ and C:/ are paths.</summary>
    private bool LooksLikeAnAddress(string text)
    {
        System.Text.RegularExpressions.Match m = System.Text.RegularExpressions.Regex.Match(text.Trim(), @"^([A-Za-z][A-Za-z0-9+.-]+):/");
        if (!m.Success)
        {
            return false;
        }
        try
        {
            return SessionState.Drive.Get(m.Groups[1].Value) is null; // TestDrive:/x, Temp:/x are paths
        }
        catch (System.Management.Automation.DriveNotFoundException)
        {
            return true;
        }
    }

    /// <summary>Whether this command can send to a catalog on another computer (redis://): Start-Scan and Write-Finding.</summary>
    protected virtual bool AcceptsRemoteCatalog => false;

    /// <summary>The broker password for a redis:// catalog: -Credential, else $env:SCANTOOLS_REDIS_PASSWORD, else the URL's (with a warning).</summary>
    protected string? BrokerPassword { get; private set; }

    /// <summary>The -Credential of commands that take one (its user name becomes the broker's ACL user).</summary>
    protected virtual PSCredential? BrokerCredential => null;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private CatalogLocation ResolveRemote(string text)
    {
        if (!AcceptsRemoteCatalog)
        {
            string fromWhere = string.IsNullOrWhiteSpace(DatabaseArgument) ? $" ($env:{CatalogLocation.EnvironmentVariable})" : string.Empty;
            string what = this is StartScanConsumerCommand
                ? "Start-ScanConsumer commits into a catalog file on this computer: give its path with -Database (the broker's address is -Broker)."
                : "Start-Scan and Write-Finding send to it, and Start-ScanConsumer commits what arrives into the catalog file on the computer that holds it. Read that catalog file there (its -Database).";
            ThrowTerminatingError(ErrorRecords.ForBadArgument(new ArgumentException(
                $"'{ScanTools.Remote.RemoteCatalogAddress.Redacted(text)}'{fromWhere} is a broker address: {what}"),
                "InvalidCatalogPath", ScanTools.Remote.RemoteCatalogAddress.Redacted(text)));
        }
        ScanTools.Remote.RemoteCatalogAddress address;
        string? fromUrl;
        try
        {
            address = ScanTools.Remote.RemoteCatalogAddress.Parse(text, out fromUrl);
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(ErrorRecords.ForBadArgument(ex, "InvalidCatalogPath", ScanTools.Remote.RemoteCatalogAddress.Redacted(text)));
            throw; // not reached
        }
        if (address.PasswordWasInUrl)
        {
            WriteWarning($"The address of '{address}' holds a password, which stays in your command history and process list. Use -Credential or ${ScanTools.Remote.RemoteCatalogAddress.PasswordVariable} instead.");
        }
        if (BrokerCredential is PSCredential credential)
        {
            address = address with { User = string.IsNullOrEmpty(credential.UserName) || credential.UserName == "default" ? address.User : credential.UserName };
            BrokerPassword = credential.GetNetworkCredential().Password;
        }
        else
        {
            BrokerPassword = ScanTools.Remote.RemotePublishers.PasswordFor(null, fromUrl);
        }
        return new CatalogLocation(address.ToString(), CatalogSource.Parameter) { IsRemote = true };
    }

    /// <summary>Opens the catalog read-only for <paramref name="read"/>; a catalog that cannot be read is a terminating error.</summary>
    protected void ReadCatalog(Action<CatalogReader> read)
    {
        try
        {
            using CatalogReader reader = CatalogReader.Open(ResolveCatalog().Path);
            read(reader);
        }
        catch (CatalogException ex)
        {
            ThrowTerminatingError(CatalogError(ex));
        }
    }

    /// <summary>A terminating error for a catalog that cannot be used; the message says what to do.</summary>
    protected ErrorRecord CatalogError(CatalogException ex) => NotingEnvironment(ErrorRecords.ForCatalog(ex));

    /// <summary>True once <see cref="ResolveCatalog"/> took the catalog from $env:SCANTOOLS_DATABASE (no -Database given).</summary>
    private bool _catalogFromEnvironment;

    /// <summary>
    /// Says, after a catalog error's message, that the path came from $env:SCANTOOLS_DATABASE: the messages tell what to do
    /// with -Database, which a user who typed none went looking for (newcomer test 71).
    /// </summary>
    private ErrorRecord NotingEnvironment(ErrorRecord record)
    {
        if (_catalogFromEnvironment)
        {
            string message = record.ErrorDetails?.Message ?? record.Exception.Message;
            record.ErrorDetails = new ErrorDetails($"{message.TrimEnd()} (No -Database was given: the catalog path came from $env:{CatalogLocation.EnvironmentVariable}.)");
        }
        return record;
    }

    /// <summary>A non-terminating error for one entry a scan could not handle.</summary>
    protected static ErrorRecord ScanErrorRecord(ScanError error) => ErrorRecords.ForScanError(error);

    /// <summary>
    /// A -Path as PowerShell's own cmdlets take it: with a wildcard character (escaped or not), or a doubled
    /// backtick (what [WildcardPattern]::Escape makes of a backtick in a name), it is a pattern, where a backtick
    /// escapes; otherwise it is the path as written, a lone backtick included.
    /// </summary>
    protected string PathPattern(string path)
    {
        string resolved = ToFileSystemPath(path);
        bool pattern = path.IndexOfAny(new[] { '*', '?', '[', ']' }) >= 0 || path.Contains("``", StringComparison.Ordinal);
        return pattern ? resolved : ScanTools.Matching.WildcardPattern.Escape(resolved);
    }

    /// <summary>-LiteralPath values as patterns that match only themselves.</summary>
    protected string[] LiteralPatterns(IEnumerable<string> paths) =>
        paths.Select(p => ScanTools.Matching.WildcardPattern.Escape(LiteralFileSystemPath(p))).ToArray();

    /// <summary>
    /// A -LiteralPath value, or a path piped to be taken literally, as a file-system path. Off Windows a full path that holds
    /// '\' is taken as written ('\' is a character of a name there, and the catalog records it so), less a FileSystem
    /// provider's prefix: PowerShell's path resolution reads '\' as a folder separator even in -LiteralPath, so
    /// <c>Get-Finding -LiteralPath '/srv/back\slash.txt'</c> returned '/srv/back/slash.txt', another file, and a piped finding
    /// of 'back\slash.txt' selected nothing (newcomer test 78). Other paths resolve as <see cref="ToFileSystemPath"/> does.
    /// </summary>
    protected string LiteralFileSystemPath(string path)
    {
        if (ScanTools.Platform.PowerShellPath.IsMisread(path))
        {
            string bare = path;
            foreach (string prefix in new[] { @"Microsoft.PowerShell.Core\FileSystem::", "FileSystem::" })
            {
                if (bare.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
                {
                    bare = bare.Substring(prefix.Length);
                    break;
                }
            }
            if (bare.StartsWith('/'))
            {
                return System.Text.RegularExpressions.Regex.Replace(bare, "/{2,}", "/");
            }
        }
        return ToFileSystemPath(path);
    }

    /// <summary>
    /// <see cref="ToFileSystemPath"/>, or null where PowerShell cannot make a file-system path of <paramref name="path"/> (another
    /// provider, a missing drive): for a caller that reports the path its own way, or is in a catch block, where the exception
    /// would end the command.
    /// </summary>
    protected string? TryFileSystemPath(string path, bool literal = false)
    {
        try
        {
            return literal ? LiteralFileSystemPath(path) : ToFileSystemPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or ProviderInvocationException or NotSupportedException or ProviderNotFoundException or System.Management.Automation.DriveNotFoundException or ItemNotFoundException or PSInvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Turns a PowerShell path (relative, provider-qualified) into a file-system path without requiring it to exist.</summary>
    protected string ToFileSystemPath(string path)
    {
        string resolved;
        ProviderInfo provider;
        try
        {
            resolved = SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out provider, out _);
        }
        catch (Exception ex) when (ex is PSArgumentException or ProviderInvocationException)
        {
            // 'T:/../c.db' on a drive T: rooted at a folder: PowerShell refuses to leave the drive's root, and the error reached
            // the user with the bare id Argument (newcomer test 73).
            throw new ArgumentException($"'{path}' cannot be read as a path: {(ex.InnerException ?? ex).Message.TrimEnd('.')}. Give the full path.", ex);
        }
        if (provider.Name != "FileSystem")
        {
            throw new ArgumentException($"'{path}' is a path of the {provider.Name} provider; ScanTools works with file-system paths.");
        }
        // Linux and macOS read repeated slashes as one, and PowerShell keeps a leading '//' (and then the ones after it):
        // '//srv/x' and '//srv//x' matched nothing the catalog holds. (On Windows a leading '\\' begins a UNC path and stays.)
        if (!OperatingSystem.IsWindows() && resolved.Contains("//", StringComparison.Ordinal))
        {
            resolved = System.Text.RegularExpressions.Regex.Replace(resolved, "/{2,}", "/");
        }
        return resolved;
    }
}

/// <summary>A cmdlet that reads catalogs: its -Database also binds from piped runs, findings and error items.</summary>
public abstract class CatalogReadCommand : CatalogCommand
{
    private volatile CatalogReader? _reader;
    private HashSet<string>? _commandLine;
    private readonly HashSet<string> _answered = new(StringComparer.Ordinal);

    /// <inheritdoc />
    protected override void BeginProcessing()
    {
        // Only the command line's parameters are bound yet: what ProcessRecord sees besides came with a piped object.
        _commandLine = new HashSet<string>(MyInvocation.BoundParameters.Keys, StringComparer.OrdinalIgnoreCase);
        if (_commandLine.Contains("RunKey"))
        {
            // -RunKey only checks that a piped run belongs to the catalog read: typed, it selected nothing and was ignored
            // without a word (newcomer test 73).
            ThrowTerminatingError(ErrorRecords.ForBadArgument(new ArgumentException(
                "-RunKey is bound from piped scan runs only, to tell runs of different catalogs apart; it selects nothing. Give the run's id with -ScanId, or pipe the run (Get-ScanRun | Where-Object RunKey -eq $key)."),
                "RunKeyFromPipelineOnly", MyInvocation.BoundParameters["RunKey"]));
        }
    }

    private readonly HashSet<(string Database, long Id, Guid Key)> _pipedRuns = new();

    /// <summary>
    /// Notes the id and RunKey of a piped scan run, with the -Database it is to be read from (its own, from the pipeline,
    /// or the command line's), for <see cref="ForeignRuns"/>.
    /// </summary>
    protected void NotePipedRun(IReadOnlyList<long> ids, Guid runKey)
    {
        if (runKey != Guid.Empty && ids.Count == 1)
        {
            _pipedRuns.Add((Database ?? string.Empty, ids[0], runKey));
        }
    }

    /// <summary>
    /// Of <paramref name="ids"/>, those whose piped run (<see cref="NotePipedRun"/>) is not this catalog's run of that id:
    /// it came from another catalog, where the id names another run (a run of catalog A piped with -Database B). Each is
    /// the non-terminating error ObjectFromOtherCatalog.
    /// </summary>
    protected IReadOnlyList<long> ForeignRuns(CatalogReader reader, IReadOnlyCollection<long> ids)
    {
        // Only the runs to be read from this -Database: runs of two catalogs piped without -Database, each with its own
        // catalog and both with id 1, had the first checked against the second's catalog and refused.
        string thisDatabase = Database ?? string.Empty;
        var noted = _pipedRuns.Where(p => p.Database == thisDatabase && ids.Contains(p.Id)).Select(p => (p.Id, p.Key)).ToList();
        if (noted.Count == 0)
        {
            return Array.Empty<long>();
        }
        var held = reader.GetScanRuns(new ScanRunQuery { Id = noted.Select(n => n.Id).Distinct().ToArray() }).ToDictionary(r => r.Id, r => r.RunKey);
        var foreign = new List<long>();
        foreach ((long id, Guid key) in noted)
        {
            if (held.TryGetValue(id, out Guid here) && here != key)
            {
                WriteError(ErrorRecords.ForBadArgument(new ArgumentException(
                    $"The piped run {id} is not run {id} of the catalog '{reader.DatabasePath}' (its RunKey differs): it comes from another catalog, where that id names another run. Leave out -Database to read each run's own catalog."),
                    "ObjectFromOtherCatalog", id));
                foreign.Add(id);
            }
        }
        return foreign;
    }

    /// <summary>
    /// True, after writing the non-terminating error ObjectFromOtherCatalog, when the piped object gave this command its
    /// run id (-ScanId) and no path, and comes from another catalog than the -Database on the command line: its id names
    /// another run there (a run of catalog A piped with -Database B listed B's run of that number, without a word). Piped
    /// files are paths, which any catalog can be asked about.
    /// </summary>
    protected bool PipedRunOfOtherCatalog(PSObject? input, params string[] pathParameters)
    {
        if (!FromPipeline("ScanId") || pathParameters.Any(FromPipeline) || FromPipeline(nameof(Database))
            || !MyInvocation.BoundParameters.ContainsKey(nameof(Database))
            || input?.Properties["Database"]?.Value is not string { Length: > 0 } itsCatalog)
        {
            return false;
        }
        string here = ResolveCatalog().Path;
        if (string.Equals(ScanTools.Platform.CanonicalPath.KeyOf(ScanTools.Platform.CanonicalPath.Resolve(itsCatalog)),
            ScanTools.Platform.CanonicalPath.KeyOf(ScanTools.Platform.CanonicalPath.Resolve(here)), StringComparison.Ordinal)
            || HoldsPipedRun(here, input))
        {
            return false;
        }
        WriteError(ErrorRecords.ForBadArgument(new ArgumentException(
            $"The piped {DisplayText.Escape(input.BaseObject.GetType().Name)} comes from the catalog '{itsCatalog}', not from -Database '{here}'; its run would name another run there. Leave out -Database to read each object's own catalog."),
            "ObjectFromOtherCatalog", input));
        return true;
    }

    /// <summary>
    /// Whether <paramref name="catalog"/> holds the piped run itself: a run (its Id and RunKey) that this catalog records under
    /// the same id and key, as a backup copy (Backup-ScanCatalog) or a copy made with cp does. False for anything else, and
    /// when the catalog cannot be read (the query that follows says why).
    /// </summary>
    private static bool HoldsPipedRun(string catalog, PSObject input)
    {
        if (input.BaseObject is not ScanRun { Id: > 0 } run || ScanTools.Remote.RemoteCatalogAddress.IsRemote(catalog))
        {
            return false;
        }
        try
        {
            using CatalogReader reader = CatalogReader.Open(catalog);
            return reader.GetScanRuns(new ScanRunQuery { Id = new[] { run.Id } }).Any(r => r.RunKey == run.RunKey);
        }
        catch (CatalogException)
        {
            return false;
        }
    }

    /// <summary>
    /// After a query of typed paths returned nothing: a warning for each path without wildcards that no scan has recorded,
    /// as a file or a folder (a mistyped -Path looked like an empty folder). <paramref name="literal"/> are -LiteralPath values,
    /// <paramref name="paths"/> -Path values (those with wildcards are left out).
    /// </summary>
    protected void WarnOfUnknownPaths(CatalogReader reader, IEnumerable<string> literal, IEnumerable<string> paths)
    {
        foreach (string full in literal.Select(LiteralFileSystemPath).Concat(paths.Where(p => !WildcardPattern.ContainsWildcardCharacters(p)).Select(ToFileSystemPath)))
        {
            if (!reader.KnowsPath(full))
            {
                WriteWarning($"The catalog '{reader.DatabasePath}' holds no file or folder '{DisplayText.Escape(full)}': no scan has recorded it. Check the path, or scan it first (Start-Scan -Path).");
            }
        }
        foreach (string pattern in paths.Where(WildcardPattern.ContainsWildcardCharacters))
        {
            // A root pasted from Get-ScanRun, /srv/br[a]ck, is a pattern for -Path (it means /srv/brack) and matched nothing.
            // Without a trailing separator: the catalog records '/srv/dir[1]', not '/srv/dir[1]/' (newcomer test 73).
            string? full = TryFileSystemPath(pattern) is string f && f.Length > 1 ? System.IO.Path.TrimEndingDirectorySeparator(f) : TryFileSystemPath(pattern);
            if (full is not null && reader.KnowsPath(full))
            {
                WriteWarning($"The wildcard path '{DisplayText.Escape(pattern)}' matches nothing, but the catalog records '{DisplayText.Escape(full)}' by that very name. To mean it, give it with -LiteralPath (or put a backtick before each [ and ]).");
            }
        }
    }

    private readonly Dictionary<string, HashSet<string>> _answeredFolders = new(StringComparer.Ordinal);

    /// <summary>
    /// Whether a folder piped earlier in <paramref name="selection"/> (the catalog and the filters a piped object can change)
    /// already answered <paramref name="path"/>: it is that folder or lies under it. Get-ChildItem -Recurse | Get-Finding
    /// returned each file once for itself and once for every folder above it.
    /// </summary>
    protected bool AnsweredByPipedFolder(string selection, string path)
    {
        if (_answeredFolders.TryGetValue(selection, out HashSet<string>? folders))
        {
            for (string? p = path; !string.IsNullOrEmpty(p); p = System.IO.Path.GetDirectoryName(p))
            {
                if (folders.Contains(p))
                {
                    return true;
                }
            }
        }
        return false;
    }

    /// <summary>
    /// Notes that everything under <paramref name="path"/> was returned for <paramref name="selection"/>, when the catalog
    /// knows it as a folder (only folders are kept: a pipe of a million files keeps no list of them).
    /// </summary>
    protected void NotePipedFolderAnswered(CatalogReader reader, string selection, string path)
    {
        if (reader.IsFolder(path))
        {
            if (!_answeredFolders.TryGetValue(selection, out HashSet<string>? folders))
            {
                _answeredFolders[selection] = folders = new HashSet<string>(ScanTools.Platform.PathComparison.Comparer);
            }
            folders.Add(path);
        }
    }

    /// <summary>The one path a piped object selects, as a file-system path without a trailing separator; null for any other selection.</summary>
    protected string? SinglePipedPath(IReadOnlyList<string> literal) =>
        literal.Count == 1 ? System.IO.Path.TrimEndingDirectorySeparator(LiteralFileSystemPath(literal[0])) : null;

    /// <summary>
    /// -LiteralPath's values, each a path: a piped finding, match, change, file record, error item or folder size whose PSPath is empty (PowerShell would read its
    /// path as another file's, <see cref="ScanTools.Platform.PowerShellPath.For"/>) gives its FullName, which ScanTools' own
    /// commands take as written. Before, such an object was PowerShell's binding error "The argument is null or empty".
    /// An empty value typed is the terminating error InvalidFilter; piped, the error EmptyPathPiped, and null is returned.
    /// </summary>
    protected string[]? LiteralPathsGiven(string[]? literal, PSObject? input)
    {
        if (literal is { Length: > 0 } && literal.All(p => !string.IsNullOrEmpty(p)))
        {
            return literal;
        }
        if (!FromPipeline("LiteralPath"))
        {
            ThrowTerminatingError(ErrorRecords.ForBadArgument(new ArgumentException(
                "-LiteralPath was given an empty path, which names no file. Give a path, or leave -LiteralPath out to query the whole catalog."),
                "InvalidFilter", null));
        }
        if (input?.BaseObject is ScanTools.Storage.Finding or ScanTools.Rules.FindingMatch or ScanTools.Storage.ScanChange
                or ScanTools.Scanning.FileRecord or ScanTools.Scanning.ScanError or ScanTools.Storage.FolderSize
            && input.Properties["FullName"]?.Value is string { Length: > 0 } full)
        {
            return new[] { full };
        }
        WriteEmptyPathPiped(input);
        return null;
    }

    /// <summary>The non-terminating error EmptyPathPiped: '' or $null piped (a blank line of a list), which names no file.</summary>
    protected void WriteEmptyPathPiped(PSObject? input) =>
        WriteError(ErrorRecords.ForBadArgument(new ArgumentException("An empty path (or $null) came through the pipeline; it names no file, so it was skipped. Leave blank lines out of the list."),
            "EmptyPathPiped", input));

    /// <summary>
    /// The -Rule filter for a rule piped in (Get-ScanRule | ...): that rule alone, its id escaped as a pattern; null when
    /// <paramref name="rules"/> (the -Rule given) names other rules only, so that no finding is of both.
    /// </summary>
    protected static string[]? RuleFilterFor(ScanTools.Rules.ScanRule piped, string[] rules) =>
        rules.Length > 0 && !rules.Any(p => new ScanTools.Matching.WildcardPattern(p, ignoreCase: true).IsMatch(piped.Id))
            ? null
            : new[] { ScanTools.Matching.WildcardPattern.Escape(piped.Id) };

    /// <summary>Whether the current piped object, not the command line, gave this parameter its value.</summary>
    protected bool FromPipeline(string parameter) =>
        MyInvocation.BoundParameters.ContainsKey(parameter) && _commandLine is not null && !_commandLine.Contains(parameter);

    /// <summary>
    /// False when this command already answered the same selection (<paramref name="selection"/> in this catalog)
    /// for an earlier piped object: piping 3 findings to Get-ScanRun listed every run 3 times.
    /// </summary>
    protected bool FirstTimeFor(string selection) => _answered.Add((Database ?? string.Empty) + "\0" + selection);

    /// <summary>
    /// Runs a query that Ctrl+C can interrupt: a filter SQLite or the query rejects is InvalidFilter, an
    /// unusable catalog is a Catalog* error, and an interrupted query just ends (PowerShell is stopping).
    /// </summary>
    protected void QueryCatalog(Action<CatalogReader> read)
    {
        try
        {
            ReadCatalog(reader =>
            {
                _reader = reader;
                read(reader);
            });
        }
        catch (ArgumentException ex)
        {
            ThrowTerminatingError(ErrorRecords.ForBadArgument(ex, "InvalidFilter", null));
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C interrupted the query; PowerShell is stopping the pipeline.
        }
        finally
        {
            _reader = null;
        }
    }

    /// <summary>Ctrl+C: interrupts a query that is still searching.</summary>
    protected override void StopProcessing() => _reader?.Interrupt();

    /// <summary>
    /// The catalog file. Default: $env:SCANTOOLS_DATABASE, else ScanTools/catalog.db in the local
    /// application-data folder. A PowerShell path. Binds the Database property of piped runs, findings and
    /// error items, so they are read from the catalog they came from.
    /// </summary>
    [Parameter(ValueFromPipelineByPropertyName = true, HelpMessage = "The catalog file. Default: $env:SCANTOOLS_DATABASE, else a per-user catalog.")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CatalogPathCompleter))]
    public string? Database { get; set; }

    /// <inheritdoc />
    protected override string? DatabaseArgument => Database;
}

/// <summary>A cmdlet that writes catalogs: its -Database is only ever what the command line says.</summary>
public abstract class CatalogWriteCommand : CatalogCommand
{
    /// <summary>
    /// The catalog file. Default: $env:SCANTOOLS_DATABASE, else ScanTools/catalog.db in the local
    /// application-data folder. A PowerShell path.
    /// </summary>
    [Parameter(HelpMessage = "The catalog file. Default: $env:SCANTOOLS_DATABASE, else a per-user catalog.")]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CatalogPathCompleter))]
    public string? Database { get; set; }

    /// <inheritdoc />
    protected override string? DatabaseArgument => Database;

    /// <summary>
    /// With -WhatIf (or $WhatIfPreference): the error the real command would stop with for this catalog (a
    /// missing folder, a file that is not a catalog, a per-user folder that cannot be created), found without
    /// creating anything, instead of a "What if" for a command that would fail.
    /// </summary>
    protected void ThrowIfCatalogUnusableForWhatIf(CatalogLocation catalog, bool allowReadOnly = false)
    {
        if (!WhatIfRequested)
        {
            return;
        }
        try
        {
            catalog.ThrowIfUnusableForWriting();
        }
        catch (CatalogException ex) when (allowReadOnly && ex.Code == CatalogErrorCode.ReadOnly)
        {
            // The preview only reads: it is shown, and what the real command would meet is said beside it.
            WriteWarning($"Without -WhatIf this fails: {ex.Message}");
        }
        catch (CatalogException ex)
        {
            ThrowTerminatingError(CatalogError(ex));
        }
    }

    /// <summary>Whether -WhatIf was given, or $WhatIfPreference is set.</summary>
    protected bool WhatIfRequested => MyInvocation.BoundParameters.TryGetValue("WhatIf", out object? given)
        ? ((SwitchParameter)given).IsPresent
        : LanguagePrimitives.IsTrue(GetVariableValue("WhatIfPreference"));
}

/// <summary>
/// A cmdlet that measures folders of a catalog (Measure-ScanFolder, Measure-ScanFile): it gathers -Path from arguments and
/// piped items, and measures the paths it can, reporting each other one on its own.
/// </summary>
public abstract class CatalogFolderCommand : CatalogReadCommand
{
    private readonly List<string> _paths = new();
    private readonly List<long> _runs = new();
    private string? _runsCatalog;
    private bool _commandLinePathsTaken;

    /// <summary>The -Path values of the current input.</summary>
    protected abstract string[] PathArgument { get; }

    /// <summary>
    /// A piped object as it came: a scan run (Get-ScanRun) is measured as of that run; a string is a path. Other objects bind
    /// -Path (and -Database) by their properties. Get-ScanRun | Measure-ScanFolder measured the present files and said
    /// nothing of the run (newcomer test 73).
    /// </summary>
    [Parameter(ValueFromPipeline = true, DontShow = true)]
    public PSObject? InputObject { get; set; }

    /// <summary>The ids of the piped scan runs, in the order they came, each once (empty: none was piped).</summary>
    protected IReadOnlyList<long> PipedRuns => _runs;

    /// <summary>Gathers the folders and runs of each input; a path of another provider is an error of its own.</summary>
    protected override void ProcessRecord()
    {
        object? piped = InputObject?.BaseObject;
        if (piped is ScanRun run)
        {
            string catalog = ResolveCatalog().Path;
            if (_runsCatalog is not null && !Platform.PathComparison.Comparer.Equals(_runsCatalog, catalog))
            {
                ThrowTerminatingError(ErrorRecords.ForBadArgument(new ArgumentException(
                    $"The piped runs come from two catalogs ('{_runsCatalog}' and '{catalog}'), and {MyInvocation.MyCommand.Name} measures one. Pipe the runs of one catalog."),
                    "InvalidFilter", run));
            }
            _runsCatalog = catalog;
            NotePipedRun(new[] { run.Id }, run.RunKey);
            if (!_runs.Contains(run.Id))
            {
                _runs.Add(run.Id);
            }
        }
        string[] paths = PathArgument;
        if (piped is string text && !FromPipeline("Path"))
        {
            paths = new[] { text }; // '/srv' | Measure-ScanFolder, as Get-Item takes it
        }
        else if (!FromPipeline("Path"))
        {
            // The command line's paths, once: with piped runs, each run came with them again.
            if (_commandLinePathsTaken)
            {
                return;
            }
            _commandLinePathsTaken = true;
        }
        try
        {
            _paths.AddRange(paths.Select(ToFileSystemPath));
        }
        catch (ArgumentException ex)
        {
            WriteError(ErrorRecords.ForBadArgument(ex, "InvalidPath", paths));
        }
    }

    /// <summary>
    /// The runs to measure as of: the piped runs (less those of another catalog than -Database, each an error), or the
    /// -ScanId given (null: the present files). Piped runs with -ScanId too are the terminating error InvalidFilter.
    /// </summary>
    protected IReadOnlyList<long?> RunsToMeasure(CatalogReader reader, long? scanId)
    {
        if (_runs.Count == 0)
        {
            return new[] { scanId };
        }
        if (scanId is not null)
        {
            ThrowTerminatingError(ErrorRecords.ForBadArgument(new ArgumentException(
                $"Scan runs were piped and -ScanId was given: measure as of the piped runs, or of -ScanId {scanId}, not both."), "InvalidFilter", scanId));
        }
        IReadOnlyList<long> foreign = ForeignRuns(reader, _runs);
        return _runs.Except(foreign).Select(r => (long?)r).ToList();
    }

    /// <summary>Whether -Path was given (bound, or piped) and every value was refused: nothing is left to measure.</summary>
    protected bool NoPathLeft => MyInvocation.BoundParameters.ContainsKey("Path") && _paths.Count == 0;

    /// <summary>
    /// The gathered paths the catalog can measure; each other one is a non-terminating InvalidFilter saying why
    /// (<paramref name="problem"/>), and one above the folders scans started at gets a warning. Null when paths were
    /// given and none can be measured.
    /// </summary>
    protected List<string>? MeasurablePaths(CatalogReader reader, Func<string, string?> problem, long? scanId)
    {
        var usable = new List<string>();
        IReadOnlyList<string>? roots = null;
        foreach (string given in _paths)
        {
            string path = given;
            if (problem(path) is string why)
            {
                // Taken literally, a path typed with PowerShell's escapes ('weird `[dir`]', as -Path takes it in Get-Item and
                // Get-Finding) names no folder: the folder it means is tried before the error.
                string unescaped = given.Contains('`') ? WildcardPattern.Unescape(given) : given;
                if (unescaped == given || problem(unescaped) is not null)
                {
                    WriteError(ErrorRecords.ForBadArgument(new ArgumentException(why), "InvalidFilter", given));
                    continue;
                }
                path = unescaped;
            }
            usable.Add(path);
            roots ??= reader.ScanRoots(scanId);
            IReadOnlyList<string> below = CatalogReader.ScanRootsBelow(path, roots);
            if (below.Count > 0)
            {
                WriteWarning($"'{path}' lies above the folders scans started at ({string.Join(", ", below.Take(5))}{(below.Count > 5 ? ", ..." : string.Empty)}): only what they recorded below it is counted, not the rest of the folder.");
            }
        }
        if (_paths.Count > 0 && usable.Count == 0)
        {
            return null;
        }
        // A folder whose name is not valid UTF-8 was never read: without a word, its whole subtree was missing from the totals.
        if (reader.UnrecordedNames(usable, scanId) is (long run, > 0 and int count, int folders))
        {
            string left = folders == 0 ? "these totals leave them out"
                : folders == count ? (count == 1 ? "it is a folder, not read, so these totals leave out all it holds" : "they are folders, not read, so these totals leave out all they hold")
                : $"{folders:N0} of them {(folders == 1 ? "is a folder" : "are folders")}, not read, so these totals leave out all {(folders == 1 ? "it holds" : "they hold")}";
            WriteWarning($"Run {run} could not record {count:N0} entr{(count == 1 ? "y" : "ies")} here whose name{(count == 1 ? " is" : "s are")} not valid UTF-8 (InvalidName); {left}. Get-ScanError -ScanId {run} -Kind InvalidName lists them; rename them (convmv converts such names) and scan again.");
        }
        return usable;
    }
}
