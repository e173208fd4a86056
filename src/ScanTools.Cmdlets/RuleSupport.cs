using System.Management.Automation;
using ScanTools.Rules;
using ScanTools.Scanning;

namespace ScanTools.Commands;

/// <summary>Loading rules for the cmdlets: files resolved as PowerShell paths, every problem one InvalidRules error that says what to fix.</summary>
internal static class RuleSupport
{
    /// <summary>
    /// Warns of each -Rule id without wildcards that no built-in rule has and no finding of the catalog carries: a
    /// mistyped id returned nothing without a word, where Get-ScanRule says RuleNotFound. Only a warning: a rule of a
    /// rules file that has found nothing yet is a fine question.
    /// </summary>
    public static void WarnOfUnknownRules(PSCmdlet cmdlet, ScanTools.Storage.CatalogReader reader, IReadOnlyList<string> rules)
    {
        if (rules.Count == 0)
        {
            return;
        }
        var known = new HashSet<string>(RuleSet.Builtin.Rules.Select(r => r.Id).Concat(reader.RuleIdsInCatalog()), StringComparer.OrdinalIgnoreCase);
        foreach (string id in rules.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (!WildcardPattern.ContainsWildcardCharacters(id))
            {
                if (!known.Contains(id))
                {
                    cmdlet.WriteWarning($"No built-in rule has the id '{ScanTools.Hosting.DisplayText.Escape(id)}', and no finding in the catalog comes from a rule of that id. Get-ScanRule lists the built-in rules; Get-FindingMatch | Group-Object RuleId, the rules with findings.");
                }
            }
            else if (!known.Any(new WildcardPattern(id, WildcardOptions.IgnoreCase).IsMatch))
            {
                // A mistyped pattern (asw-*) returned nothing without a word, where a mistyped id warned.
                cmdlet.WriteWarning($"No built-in rule id matches '{ScanTools.Hosting.DisplayText.Escape(id)}', and no finding in the catalog comes from a rule whose id does. Get-ScanRule lists the built-in rules; Get-FindingMatch | Group-Object RuleId, the rules with findings.");
            }
        }
    }

    /// <summary>
    /// The rules a command asks for: with <paramref name="ruleIds"/>, those of the built-in set and of
    /// <paramref name="rulePaths"/> whose ids match; with only <paramref name="rulePaths"/>, the rules of those
    /// files; then less <paramref name="excludeRules"/>. Null when neither is given.
    /// </summary>
    public static RuleSet? Load(PSCmdlet cmdlet, string[]? ruleIds, string[]? rulePaths, string[]? excludeRules)
    {
        bool ids = ruleIds is { Length: > 0 }, files = rulePaths is { Length: > 0 };
        if (!ids && !files)
        {
            if (excludeRules is { Length: > 0 })
            {
                Fail(cmdlet, "-ExcludeRule leaves rules out of those -Rule or -RulePath select, and neither is given. Add -Rule * to apply every built-in rule but those excluded.", null);
            }
            return null;
        }
        List<string> paths = (rulePaths ?? Array.Empty<string>()).Select(p => Resolve(cmdlet, p)).Distinct(ScanTools.Platform.PathComparison.Comparer).ToList();
        try
        {
            RuleSet all = RuleSet.Load(paths, includeBuiltin: true);
            RuleSet chosen = ids ? all.Select(ruleIds!)
                : new RuleSet(all.Rules.Where(r => !ReferenceEquals(RuleSet.Builtin.Find(r.Id), r))); // the files' rules: each file read once
            RuleSet result = excludeRules is { Length: > 0 } ? chosen.Select(Array.Empty<string>(), excludeRules) : chosen;
            if (result.Rules.Count == 0)
            {
                Fail(cmdlet, chosen.Rules.Count > 0
                    ? "No rule is left to apply: -ExcludeRule leaves out every rule that -Rule and -RulePath select. Leave out -Rule and -RulePath to scan without rules."
                    : $"No rule to apply: the -RulePath file{(paths.Count == 1 ? $" '{paths[0]}' holds" : "s hold")} no rules (Rules = @()). Add rules to {(paths.Count == 1 ? "it" : "them")}, add -Rule * for the built-in rules, or leave out -RulePath to scan without rules.", null);
            }
            if (ids)
            {
                // -Rule selects among the built-in rules and the files' rules: 'Start-Scan -Rule aws-* -RulePath mine.psd1' ran none
                // of mine.psd1's rules, silently (newcomer test 67, twice). Say so for a file none of whose rules -Rule selects.
                foreach (string path in paths)
                {
                    IReadOnlyList<ScanRule> own = all.FromFile(path);
                    if (own.Count > 0 && !own.Any(r => result.Find(r.Id) is not null))
                    {
                        cmdlet.WriteWarning($"None of the {own.Count} rule{(own.Count == 1 ? "" : "s")} of the -RulePath file '{path}' is selected by -Rule, so {(own.Count == 1 ? "it does" : "they do")} not run: -Rule selects among the built-in rules and the files' rules. Add {(own.Count == 1 ? "its id" : "their ids")} to -Rule ({string.Join(", ", own.Take(5).Select(r => r.Id))}{(own.Count > 5 ? ", ..." : "")}), or use -Rule * for every rule, or leave out -Rule to apply the file's rules alone.");
                    }
                }
            }
            // A file's rule with a built-in id replaces the built-in one, as documented; said aloud, since the built-in rule's
            // findings that the new definition does not make again are then marked Resolved, and its severity may change.
            foreach (ScanRule replaced in result.Rules.Where(r => RuleSet.Builtin.Find(r.Id) is ScanRule builtin && !ReferenceEquals(builtin, r)))
            {
                cmdlet.WriteWarning($"The rule '{replaced.Id}' of the -RulePath file replaces the built-in rule of that id (severity {RuleSet.Builtin.Find(replaced.Id)!.Severity} there, {replaced.Severity} here). Findings of the built-in rule that this one does not make again are marked Resolved by the scan. To run both, give your rule another Id.");
            }
            return result;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            Fail(cmdlet, ex.Message, ex);
            return null; // not reached
        }
    }

    /// <summary>The built-in rules plus those of <paramref name="rulePaths"/> (for descriptions in reports and listings).</summary>
    public static RuleSet LoadAll(PSCmdlet cmdlet, string[]? rulePaths)
    {
        List<string> paths = (rulePaths ?? Array.Empty<string>()).Select(p => Resolve(cmdlet, p)).Distinct(ScanTools.Platform.PathComparison.Comparer).ToList();
        try
        {
            return RuleSet.Load(paths, includeBuiltin: true);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            Fail(cmdlet, ex.Message, ex);
            return null!; // not reached
        }
    }

    private static string Resolve(PSCmdlet cmdlet, string path)
    {
        string resolved;
        try
        {
            resolved = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path);
        }
        catch (Exception ex) when (ex is ArgumentException or ProviderInvocationException or NotSupportedException or ProviderNotFoundException or System.Management.Automation.DriveNotFoundException or PSInvalidOperationException)
        {
            Fail(cmdlet, $"-RulePath '{path}' is not usable: {ex.Message}", ex);
            throw; // not reached
        }
        if (Directory.Exists(resolved))
        {
            Fail(cmdlet, $"The rules file '{resolved}' is a folder. Give the path of a .psd1 rules file (Get-Help about_ScanTools shows the format).", null);
        }
        if (!File.Exists(resolved) && WildcardPattern.ContainsWildcardCharacters(path))
        {
            // "does not exist" while two files matched the pattern sent a newcomer looking for missing files.
            Fail(cmdlet, $"-RulePath takes the paths of rules files as they are, without wildcards, and there is no file named '{resolved}'. To give every file a pattern matches, pass them: -RulePath (Resolve-Path '{path}').", null);
        }
        if (!File.Exists(resolved))
        {
            Fail(cmdlet, $"The rules file '{resolved}' does not exist. Give the path of a .psd1 rules file (Get-Help about_ScanTools shows the format).", null);
        }
        return resolved;
    }

    /// <summary>A -Path as a file-system path; another provider's path (env:, Function:) is an error with <paramref name="errorId"/>.</summary>
    public static string FileSystemPath(PSCmdlet cmdlet, string path, string errorId)
    {
        try
        {
            string resolved = cmdlet.SessionState.Path.GetUnresolvedProviderPathFromPSPath(path, out ProviderInfo provider, out _);
            if (provider.Name != "FileSystem")
            {
                throw new ArgumentException($"'{path}' is a path of the {provider.Name} provider; give a file-system path.");
            }
            return resolved;
        }
        catch (Exception ex) when (ex is ArgumentException or ProviderInvocationException or NotSupportedException or ProviderNotFoundException or System.Management.Automation.DriveNotFoundException or PSInvalidOperationException)
        {
            cmdlet.ThrowTerminatingError(ErrorRecords.ForBadArgument(ex, errorId, path));
            throw; // not reached
        }
    }

    /// <summary>
    /// Refuses a path to write that holds * or ?: 'out/*.csv' made a file named *.csv, which a later rm out/*.csv takes for a
    /// pattern. Export-Csv refuses a wildcard that does not resolve to one file; a new report's name never does.
    /// </summary>
    public static void RefuseWildcard(PSCmdlet cmdlet, string path, string errorId, string example = "report.csv")
    {
        if (path.AsSpan().IndexOfAny('*', '?') >= 0)
        {
            cmdlet.ThrowTerminatingError(ErrorRecords.ForBadArgument(new ArgumentException(
                $"'{ScanTools.Hosting.DisplayText.Escape(path)}' holds a wildcard (* or ?), so it names no one file: give the name of the file to write, such as {example}."), errorId, path));
        }
    }

    /// <summary>
    /// A -Path of a file to write, as a file-system path: a folder there, a folder of it that does not exist, a
    /// catalog's own file (<see cref="ScanTools.Storage.CatalogFileGuard.OwnFileProblem"/>), or a FIFO, socket or device
    /// (<see cref="ScanTools.Storage.CatalogFileGuard.SpecialFileProblem"/>) is an error with <paramref name="errorId"/>
    /// that says what to give instead (before anything is written). A symbolic link gives the file it names.
    /// </summary>
    public static string OutputFilePath(PSCmdlet cmdlet, string path, string errorId)
    {
        RefuseWildcard(cmdlet, path, errorId);
        // Through a symbolic link to the file it names: the link stays, and what it names gets the new content.
        string resolved = ScanTools.Platform.ReplacedFile.ThroughLinks(FileSystemPath(cmdlet, path, errorId));
        if (Directory.Exists(resolved))
        {
            cmdlet.ThrowTerminatingError(ErrorRecords.ForBadArgument(new ArgumentException($"'{resolved}' is a folder; give the path of the file to write."), errorId, path));
        }
        string? folder = System.IO.Path.GetDirectoryName(resolved);
        if (!string.IsNullOrEmpty(folder) && !Directory.Exists(folder))
        {
            cmdlet.ThrowTerminatingError(ErrorRecords.ForBadArgument(new ArgumentException(
                ScanTools.Platform.FileInTheWay.Of(folder) is string file
                    ? $"The folder of '{resolved}' cannot be created: '{file}' is a file, not a folder. Give a -Path in an existing folder."
                    : $"The folder of '{resolved}' does not exist. Create it first, or give a -Path in an existing folder."), errorId, path));
        }
        if ((ScanTools.Storage.CatalogFileGuard.OwnFileProblem(resolved) ?? ScanTools.Storage.CatalogFileGuard.SpecialFileProblem(resolved)) is string own)
        {
            cmdlet.ThrowTerminatingError(ErrorRecords.ForBadArgument(new ArgumentException(own), errorId, path));
        }
        return resolved;
    }

    /// <summary>How many piped objects that are no finding get an error each (InvalidInput); one more error says the rest are counted.</summary>
    private const int MaxInputErrors = 5;

    /// <summary>
    /// The findings in piped objects: FindingMatch objects as they are, files from Get-Finding with their
    /// Matches; anything else is a non-terminating InvalidInput error.
    /// </summary>
    public static List<FindingMatch> MatchesOf(PSCmdlet cmdlet, IEnumerable<PSObject?> input, ref int filesWithoutMatches)
    {
        int rejected = 0;
        return MatchesOf(cmdlet, input, ref filesWithoutMatches, ref rejected);
    }

    /// <summary>
    /// As above, counting in <paramref name="rejected"/> the objects that were no finding (each an InvalidInput error, or
    /// NullPiped for $null, which binds as a null <paramref name="input"/> or a null element of it).
    /// </summary>
    public static List<FindingMatch> MatchesOf(PSCmdlet cmdlet, IEnumerable<PSObject?>? input, ref int filesWithoutMatches, ref int rejected)
    {
        var list = new List<FindingMatch>();
        foreach (PSObject? o in input ?? new PSObject?[] { null })
        {
            switch (o?.BaseObject)
            {
                case null:
                    // '$findings | Export-FindingMatch' with $findings never set: a binding error, and then an empty report
                    // replaced the last one. Refused like any object that is no finding.
                    cmdlet.WriteError(new ErrorRecord(new ArgumentException("$null came through the pipeline; it is no finding. Check the variable or command before the pipe."),
                        "NullPiped", ErrorCategory.InvalidArgument, null));
                    rejected++;
                    break;
                case FindingMatch m:
                    list.Add(m);
                    break;
                case ScanTools.Storage.Finding f:
                    list.AddRange(f.Matches);
                    if (f.Matches.Count == 0)
                    {
                        filesWithoutMatches++;
                    }
                    break;
                default:
                    // Each row of Import-Csv was an error holding the whole row, 70 of them for one report (newcomer test 74):
                    // the first few are reported, by type, then one error says the rest are counted.
                    if (rejected < MaxInputErrors)
                    {
                        string what = o.BaseObject is PSCustomObject
                            ? "A PSCustomObject (a row of Import-Csv or ConvertFrom-Json, or Select-Object's output)"
                            : $"'{ScanTools.Hosting.DisplayText.Escape(o.ToString())}' ({o.BaseObject.GetType().Name})";
                        cmdlet.WriteError(new ErrorRecord(new ArgumentException($"{what} is not a finding: pipe the output of Get-FindingMatch, or of Get-Finding with -Rule, -Severity or -MinimumSeverity; rows read back with Import-Csv are text, not findings."),
                            "InvalidInput", ErrorCategory.InvalidType, o));
                    }
                    else if (rejected == MaxInputErrors)
                    {
                        cmdlet.WriteError(new ErrorRecord(new ArgumentException($"More piped objects are not findings either; they are counted, not each reported."),
                            "InvalidInput", ErrorCategory.InvalidType, null));
                    }
                    rejected++;
                    break;
            }
        }
        return list;
    }

    /// <summary>
    /// Ends a command that would write a file of no findings because every piped object was refused as no finding (rows
    /// of Import-Csv, say): the existing report or baseline was replaced by an empty one, which a CI upload then read as
    /// "nothing found". Nothing is written; the error says why.
    /// </summary>
    public static void ThrowIfEveryObjectRefused(PSCmdlet cmdlet, int accepted, int rejected, string path)
    {
        if (accepted == 0 && rejected > 0)
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(new InvalidOperationException(
                $"None of the {rejected:N0} piped object{(rejected == 1 ? " is a finding" : "s is a finding")}, so '{path}' was not written{(File.Exists(path) ? " and keeps what it held" : string.Empty)}. Pipe the output of Get-FindingMatch, or of Get-Finding with -Rule, -Severity or -MinimumSeverity; rows read back with Import-Csv are text, not findings."),
                "NoFindingsPiped", ErrorCategory.InvalidData, path));
        }
    }

    /// <summary>
    /// Warns, once, of files piped in without findings in Matches: Get-Finding fills Matches only with -Rule, -Severity
    /// or -MinimumSeverity, so a plain Get-Finding piped in would otherwise write an empty file without a word.
    /// </summary>
    public static void WarnOfFilesWithoutMatches(PSCmdlet cmdlet, int files)
    {
        if (files > 0)
        {
            cmdlet.WriteWarning($"{files:N0} file(s) piped in carried no findings in Matches and were left out. Get-Finding gives a file's findings only with -Rule, -Severity or -MinimumSeverity; pipe that, or Get-FindingMatch.");
        }
    }

    /// <summary>
    /// Ends an export that would replace a read-only <paramref name="path"/> without -Force: the terminating error
    /// FileIsReadOnly, as Export-Csv refuses one; <paramref name="what"/> names the file's kind in the message.
    /// </summary>
    public static void ThrowIfReadOnly(PSCmdlet cmdlet, string path, string what, bool force, object? target)
    {
        if (!force && ScanTools.Platform.ReplacedFile.IsReadOnly(path))
        {
            cmdlet.ThrowTerminatingError(new ErrorRecord(new IOException(ScanTools.Platform.ReplacedFile.ReadOnlyRefusal(path, what)),
                "FileIsReadOnly", ErrorCategory.PermissionDenied, target));
        }
    }

    private static void Fail(PSCmdlet cmdlet, string message, Exception? inner) =>
        cmdlet.ThrowTerminatingError(new ErrorRecord(new ScanArgumentException(message, inner!), "InvalidRules", ErrorCategory.InvalidArgument, null));

    /// <summary>A baseline file read for a query; a file that is missing or not a baseline is an InvalidBaseline error.</summary>
    public static FindingBaseline? LoadBaseline(PSCmdlet cmdlet, string? path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }
        string resolved = FileSystemPath(cmdlet, path, "InvalidBaseline");
        if (Directory.Exists(resolved))
        {
            cmdlet.ThrowTerminatingError(ErrorRecords.ForBadArgument(new ArgumentException($"The baseline '{resolved}' is a folder; give the path of a baseline file (Export-FindingBaseline writes one)."), "InvalidBaseline", path));
        }
        try
        {
            return FindingBaseline.Load(resolved);
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            string message = ex is FileNotFoundException or DirectoryNotFoundException
                ? $"The baseline '{resolved}' does not exist. Export-FindingBaseline writes one."
                : ex.Message;
            cmdlet.ThrowTerminatingError(ErrorRecords.ForBadArgument(new ScanArgumentException(message, ex), "InvalidBaseline", path));
            return null; // not reached
        }
    }
}
