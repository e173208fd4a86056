using System.Diagnostics;
using System.Text.RegularExpressions;
using ScanTools.Hosting;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Hosting;

/// <summary>The staged module (out/ScanTools) as PowerShell will load it, and what must stay in step with each cmdlet.</summary>
public sealed class ModuleLayoutTests : IDisposable
{
    private readonly TempDirectory _t = new();

    public void Dispose() => _t.Dispose();

    private static (int Exit, string Output) Probe(params string[] args)
    {
        var psi = new ProcessStartInfo(ChildProcess.DotnetPath) { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("exec");
        psi.ArgumentList.Add(Repo.BuildOutput("ScanTools.ModuleLoadProbe", "tests/ScanTools.ModuleLoadProbe"));
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using Process p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(60_000), "the probe did not finish");
        return (p.ExitCode, output);
    }

    [Fact]
    public void LoadedLikePowerShellLoadsIt_TheModuleFindsItsNativeSqlite()
    {
        var (exit, output) = Probe(Repo.StagedModule, _t.Db());

        Assert.True(exit == 0, output);
        Assert.Equal("ok", output.Trim());
        Assert.True(File.Exists(_t.Db()));
    }

    [Fact]
    public void WithoutTheResolver_LoadingFailsAsItDoesInPowerShell_SoTheProbeCanTellTheDifference()
    {
        var (exit, output) = Probe(Repo.StagedModule, _t.Db(), "--no-resolver");

        Assert.Equal(1, exit);
        Assert.Contains("Unable to load shared library 'e_sqlite3'", output);
    }

    [Fact]
    public void StagedModule_ShipsNativeSqliteForExactlyTheSupportedPlatforms()
    {
        string runtimes = Path.Combine(Repo.StagedModule, "runtimes");
        Assert.Equal(NativeSqlite.ShippedRuntimes.Order(), Directory.GetDirectories(runtimes).Select(Path.GetFileName).Order()!);
        foreach (string rid in NativeSqlite.ShippedRuntimes)
        {
            string file = Path.Combine(Repo.StagedModule, NativeSqlite.RelativePathFor(rid));
            Assert.True(File.Exists(file), $"missing {file}");
            Assert.True(new FileInfo(file).Length > 100_000, $"{file} is too small to be SQLite");
        }
        Assert.Contains(NativeSqlite.CurrentRuntime(), NativeSqlite.ShippedRuntimes);
    }

    [Fact]
    public void StagedModule_HasTheManifestFilesAndNotPowerShellsOwnAssembly()
    {
        foreach (string f in new[] { "ScanTools.psd1", "ScanTools.format.ps1xml", "ScanTools.types.ps1xml", "ScanTools.Cmdlets.dll", "ScanTools.Engine.dll", "Microsoft.Data.Sqlite.dll" })
        {
            Assert.True(File.Exists(Path.Combine(Repo.StagedModule, f)), $"missing {f}");
        }
        Assert.False(File.Exists(Path.Combine(Repo.StagedModule, "System.Management.Automation.dll")));
    }

    /// <summary>The cmdlets the source declares, from their [Cmdlet] attributes.</summary>
    private static List<string> DeclaredCmdlets() =>
        Directory.GetFiles(Repo.Combine("src", "ScanTools.Cmdlets"), "*.cs")
            .SelectMany(f => Regex.Matches(File.ReadAllText(f), @"\[Cmdlet\(Verbs\w+\.(\w+),\s*""(\w+)""").Select(m => $"{m.Groups[1].Value}-{m.Groups[2].Value}"))
            .Order().ToList();

    [Fact]
    public void EveryCmdlet_IsExportedByName_Documented_AndTestedInPester()
    {
        List<string> cmdlets = DeclaredCmdlets();
        string manifest = File.ReadAllText(Repo.Combine("module", "ScanTools.psd1"));
        List<string> exported = Regex.Match(manifest, @"CmdletsToExport\s*=\s*@\(([^)]*)\)").Groups[1].Value
            .Split('\n').Select(l => l.Trim().Trim('\'', ',')).Where(l => l.Length > 0).Order().ToList();
        string pester = string.Join('\n', Directory.GetFiles(Repo.Combine("tests", "pester"), "*.ps1").Select(File.ReadAllText));

        Assert.Equal(6, cmdlets.Count);
        Assert.Equal(cmdlets, exported);
        Assert.DoesNotContain("*", manifest.Split("CmdletsToExport")[1].Split(')')[0]);
        foreach (string c in cmdlets)
        {
            Assert.True(File.Exists(Repo.Combine("docs", "help", c + ".md")), $"{c} has no docs/help/{c}.md");
            Assert.Contains(c, pester);
        }
        Assert.True(File.Exists(Repo.Combine("docs", "help", "about_ScanTools.md")));
    }

    [Fact]
    public void EveryHelpPage_DocumentsEveryParameterOfItsCmdlet_AndHasTwoExamples()
    {
        foreach (string file in Directory.GetFiles(Repo.Combine("src", "ScanTools.Cmdlets"), "*Command.cs"))
        {
            string source = File.ReadAllText(file);
            Match cmdlet = Regex.Match(source, @"\[Cmdlet\(Verbs\w+\.(\w+),\s*""(\w+)""");
            if (!cmdlet.Success)
            {
                continue;
            }
            string name = $"{cmdlet.Groups[1].Value}-{cmdlet.Groups[2].Value}";
            string help = File.ReadAllText(Repo.Combine("docs", "help", name + ".md"));
            // Parameters declared here and in the shared base class.
            string all = source + (source.Contains(": CatalogCommand", StringComparison.Ordinal) ? File.ReadAllText(Repo.Combine("src", "ScanTools.Cmdlets", "CatalogCommand.cs")) : string.Empty);
            foreach (Match p in Regex.Matches(all, @"\[Parameter[^\]]*\][^{]*?public\s+[\w\[\]<>?.]+\s+(\w+)\s*\{", RegexOptions.Singleline))
            {
                Assert.True(help.Contains("### -" + p.Groups[1].Value, StringComparison.Ordinal), $"{name}.md does not document -{p.Groups[1].Value}");
            }
            Assert.True(Regex.Matches(help, @"^### Example \d", RegexOptions.Multiline).Count >= 2, $"{name}.md needs at least two examples");
        }
    }
}
