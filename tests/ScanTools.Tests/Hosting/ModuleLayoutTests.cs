using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using ScanTools.HelpBuilder;
using ScanTools.Tests.Support;

namespace ScanTools.Tests.Hosting;

/// <summary>
/// The staged module (out/ScanTools) as PowerShell will load it, and what must stay in step with each
/// cmdlet: the manifest, the help pages (and the help built from them), and the Pester tests. Loading it
/// in a real PowerShell is the Pester suite's job (tests/pester/Module.Tests.ps1).
/// </summary>
public sealed class ModuleLayoutTests
{
    private static readonly string[] ShippedRuntimes = { "win-x64", "win-arm64", "linux-x64", "linux-arm64", "linux-musl-x64", "osx-x64", "osx-arm64" };

    private static string Dependencies => Path.Combine(Repo.StagedModule, "dependencies");

    [Fact]
    public void OnlyTheCmdletAssembly_SitsWherePowerShellsDefaultContextLooks_EverythingElseInDependencies()
    {
        Assert.Equal(new[] { "ScanTools.Cmdlets.dll" }, Directory.GetFiles(Repo.StagedModule, "*.dll").Select(Path.GetFileName));
        foreach (string dll in new[] { "ScanTools.Engine.dll", "Microsoft.Data.Sqlite.dll", "SQLitePCLRaw.core.dll" })
        {
            Assert.True(File.Exists(Path.Combine(Dependencies, dll)), $"missing dependencies/{dll}");
        }
        Assert.False(File.Exists(Path.Combine(Dependencies, "System.Management.Automation.dll")), "PowerShell's own assembly must not ship");
        Assert.False(Directory.Exists(Path.Combine(Repo.StagedModule, "runtimes")), "native libraries belong under dependencies/");
    }

    [Fact]
    public void StagedModule_ShipsNativeSqliteForExactlyTheSupportedPlatforms_ThisOneIncluded()
    {
        string runtimes = Path.Combine(Dependencies, "runtimes");
        Assert.Equal(ShippedRuntimes.Order(), Directory.GetDirectories(runtimes).Select(Path.GetFileName).Order()!);
        foreach (string rid in ShippedRuntimes)
        {
            string native = Assert.Single(Directory.GetFiles(Path.Combine(runtimes, rid, "native")));
            Assert.Matches("e_sqlite3\\.(dll|so|dylib)$", native);
            Assert.True(new FileInfo(native).Length > 100_000, $"{native} is too small to be SQLite");
        }
        if (OperatingSystem.IsLinux() && RuntimeInformation.ProcessArchitecture == Architecture.X64)
        {
            Assert.True(File.Exists(Path.Combine(runtimes, "linux-x64", "native", "libe_sqlite3.so")));
        }
    }

    [Fact]
    public void StagedModule_HasItsManifestFiles_AndHelpBuiltFromEveryPage()
    {
        foreach (string f in new[] { "ScanTools.psd1", "ScanTools.format.ps1xml", "en-US/ScanTools.Cmdlets.dll-Help.xml" })
        {
            Assert.True(File.Exists(Path.Combine(Repo.StagedModule, f)), $"missing {f}");
        }
        XDocument maml = XDocument.Load(Path.Combine(Repo.StagedModule, "en-US", "ScanTools.Cmdlets.dll-Help.xml"));
        XNamespace command = "http://schemas.microsoft.com/maml/dev/command/2004/10";
        List<string> helped = maml.Descendants(command + "details").Select(d => d.Element(command + "name")!.Value).Order().ToList();
        Assert.Equal(DeclaredCmdlets().Keys.Order(), helped);
        foreach (string about in Directory.GetFiles(Repo.Combine("docs", "help"), "about_*.md"))
        {
            string txt = Path.Combine(Repo.StagedModule, "en-US", Path.GetFileNameWithoutExtension(about) + ".help.txt");
            Assert.True(File.Exists(txt), $"missing {txt}");
        }
    }

    [Fact]
    public void EveryCmdlet_IsExportedByName_Documented_AndTestedInPester()
    {
        List<string> cmdlets = DeclaredCmdlets().Keys.Order().ToList();
        string manifest = File.ReadAllText(Repo.Combine("module", "ScanTools.psd1"));
        List<string> exported = Regex.Match(manifest, @"CmdletsToExport\s*=\s*@\(([^)]*)\)").Groups[1].Value
            .Split('\n').Select(l => l.Trim().Trim('\'', ',')).Where(l => l.Length > 0).Order().ToList();
        string pester = string.Join('\n', Directory.GetFiles(Repo.Combine("tests", "pester"), "*.ps1").Select(File.ReadAllText));

        Assert.NotEmpty(cmdlets);
        Assert.Equal(cmdlets, exported);
        Assert.DoesNotContain("*", manifest.Split("CmdletsToExport")[1].Split(')')[0]);
        foreach (string c in cmdlets)
        {
            Assert.True(File.Exists(Repo.Combine("docs", "help", c + ".md")), $"{c} has no docs/help/{c}.md");
            Assert.Contains(c, pester);
        }
        Assert.True(File.Exists(Repo.Combine("docs", "help", "about_ScanTools.md")));
    }

    /// <summary>
    /// Each page's parameters are exactly the cmdlet's, with the same type, aliases, position, mandatory
    /// flag and pipeline input, read from the compiled cmdlets (not from their source text).
    /// </summary>
    [Fact]
    public void EveryHelpPage_DescribesExactlyTheParametersOfItsCmdlet_AsCompiled_WithTwoExamples()
    {
        var problems = new List<string>();
        foreach ((string cmdlet, List<CompiledParameter> compiled) in DeclaredCmdlets())
        {
            CmdletHelp help = CmdletHelpReader.Read(File.ReadAllText(Repo.Combine("docs", "help", cmdlet + ".md")), cmdlet + ".md");
            var documented = help.Parameters.ToDictionary(p => p.Name, StringComparer.Ordinal);
            foreach (CompiledParameter p in compiled)
            {
                if (!documented.Remove(p.Name, out ParameterHelp? doc))
                {
                    problems.Add($"{cmdlet}: -{p.Name} is not in its help page");
                    continue;
                }
                string type = doc.Type.Replace("SwitchParameter", "System.Management.Automation.SwitchParameter", StringComparison.Ordinal);
                if (type != p.Type && !type.StartsWith("System.Management.Automation.System.", StringComparison.Ordinal))
                {
                    problems.Add($"{cmdlet}: -{p.Name} is {p.Type}; the help says {doc.Type}");
                }
                if (!doc.Aliases.Order().SequenceEqual(p.Aliases.Order()))
                {
                    problems.Add($"{cmdlet}: -{p.Name} has aliases [{string.Join(", ", p.Aliases)}]; the help says [{string.Join(", ", doc.Aliases)}]");
                }
                string position = p.Position is int pos ? pos.ToString(System.Globalization.CultureInfo.InvariantCulture) : "Named";
                if (!doc.Position.Equals(position, StringComparison.OrdinalIgnoreCase))
                {
                    problems.Add($"{cmdlet}: -{p.Name} is at position {position}; the help says {doc.Position}");
                }
                if (doc.Required.StartsWith("True", StringComparison.OrdinalIgnoreCase) != p.Mandatory)
                {
                    problems.Add($"{cmdlet}: -{p.Name} is {(p.Mandatory ? "" : "not ")}mandatory; the help says Required: {doc.Required}");
                }
                if (doc.PipelineInput != p.PipelineInput)
                {
                    problems.Add($"{cmdlet}: -{p.Name} takes pipeline input '{p.PipelineInput}'; the help says '{doc.PipelineInput}'");
                }
            }
            problems.AddRange(documented.Keys.Select(extra => $"{cmdlet}: the help page describes -{extra}, which the cmdlet does not have"));
            if (help.Examples.Count < 2)
            {
                problems.Add($"{cmdlet}: needs at least two examples");
            }
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    /// <summary>
    /// PowerShell loads every public type of the cmdlet assembly (to find cmdlets and the module
    /// initializer) before that initializer can route the engine to the module's load context. Loading a
    /// class loads the types of its value-type fields, so a field of an engine enum or struct would make
    /// Import-Module fail with "Could not load ScanTools.Engine".
    /// </summary>
    [Fact]
    public void PublicTypesOfTheCmdletAssembly_HaveNoFieldOfAnEngineValueType()
    {
        using MetadataLoadContext context = CmdletContext(out Assembly cmdlets);
        var offenders = new List<string>();
        foreach (Type type in cmdlets.GetExportedTypes())
        {
            for (Type? t = type; t is not null && t.Assembly == cmdlets; t = t.BaseType)
            {
                foreach (FieldInfo field in t.GetFields(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
                {
                    Type ft = field.FieldType.IsGenericType && field.FieldType.GetGenericTypeDefinition().FullName == "System.Nullable`1"
                        ? field.FieldType.GetGenericArguments()[0]
                        : field.FieldType;
                    if (ft.IsValueType && ft.Assembly.GetName().Name == "ScanTools.Engine")
                    {
                        offenders.Add($"{t.FullName}.{field.Name} : {ft.FullName}");
                    }
                }
            }
        }
        Assert.True(offenders.Count == 0, "Hold these in a field of a framework type instead:\n" + string.Join('\n', offenders));
    }

    /// <summary>
    /// For the same reason, no public type of the cmdlet assembly may derive from or implement an engine
    /// type (an exception carrying an exit code, for example): loading the type loads those.
    /// </summary>
    [Fact]
    public void PublicTypesOfTheCmdletAssembly_NeitherDeriveFromNorImplementAnEngineType()
    {
        using MetadataLoadContext context = CmdletContext(out Assembly cmdlets);
        var offenders = new List<string>();
        foreach (Type type in cmdlets.GetExportedTypes())
        {
            for (Type? t = type.BaseType; t is not null; t = t.BaseType)
            {
                if (t.Assembly.GetName().Name == "ScanTools.Engine")
                {
                    offenders.Add($"{type.FullName} : {t.FullName}");
                }
            }
            offenders.AddRange(type.GetInterfaces().Where(i => i.Assembly.GetName().Name == "ScanTools.Engine").Select(i => $"{type.FullName} : {i.FullName}"));
        }
        Assert.True(offenders.Count == 0, "Make these types internal, or move them to the engine:\n" + string.Join('\n', offenders));
    }

    private static MetadataLoadContext CmdletContext(out Assembly cmdlets)
    {
        var paths = new List<string>
        {
            Path.Combine(Repo.StagedModule, "ScanTools.Cmdlets.dll"),
            Path.Combine(AppContext.BaseDirectory, "reference", "System.Management.Automation.dll"),
        };
        paths.AddRange(Directory.GetFiles(Dependencies, "*.dll"));
        paths.AddRange(Directory.GetFiles(RuntimeEnvironment.GetRuntimeDirectory(), "*.dll"));
        var context = new MetadataLoadContext(new PathAssemblyResolver(paths.DistinctBy(Path.GetFileName)));
        cmdlets = context.LoadFromAssemblyPath(paths[0]);
        return context;
    }

    /// <summary>A parameter as the compiled cmdlet declares it.</summary>
    private sealed record CompiledParameter(string Name, string Type, IReadOnlyList<string> Aliases, int? Position, bool Mandatory, string PipelineInput);

    /// <summary>The cmdlets of the staged assembly and their parameters, read with a MetadataLoadContext.</summary>
    private static Dictionary<string, List<CompiledParameter>> DeclaredCmdlets()
    {
        using MetadataLoadContext context = CmdletContext(out Assembly cmdlets);
        var result = new Dictionary<string, List<CompiledParameter>>(StringComparer.Ordinal);
        foreach (Type type in cmdlets.GetExportedTypes())
        {
            CustomAttributeData? cmdlet = type.GetCustomAttributesData().FirstOrDefault(a => a.AttributeType.FullName == "System.Management.Automation.CmdletAttribute");
            if (cmdlet is null)
            {
                continue;
            }
            string name = $"{cmdlet.ConstructorArguments[0].Value}-{cmdlet.ConstructorArguments[1].Value}";
            var parameters = new List<CompiledParameter>();
            foreach (PropertyInfo property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            {
                List<CustomAttributeData> attributes = property.GetCustomAttributesData().ToList();
                CustomAttributeData? parameter = attributes.FirstOrDefault(a => a.AttributeType.FullName == "System.Management.Automation.ParameterAttribute");
                if (parameter is null)
                {
                    continue;
                }
                object? Named(string n) => parameter.NamedArguments.FirstOrDefault(a => a.MemberName == n).TypedValue.Value;
                var aliases = attributes.Where(a => a.AttributeType.FullName == "System.Management.Automation.AliasAttribute")
                    .SelectMany(a => ((IEnumerable<CustomAttributeTypedArgument>)a.ConstructorArguments[0].Value!).Select(v => (string)v.Value!))
                    .ToList();
                bool byValue = Named("ValueFromPipeline") is true, byName = Named("ValueFromPipelineByPropertyName") is true;
                string pipeline = (byValue, byName) switch
                {
                    (true, true) => "True (ByPropertyName, ByValue)",
                    (true, false) => "True (ByValue)",
                    (false, true) => "True (ByPropertyName)",
                    _ => "False",
                };
                int? position = Named("Position") is int pos and >= 0 ? pos : null;
                string typeName = property.PropertyType.FullName!;
                if (property.PropertyType.IsGenericType && property.PropertyType.GetGenericTypeDefinition().FullName == "System.Nullable`1")
                {
                    typeName = property.PropertyType.GetGenericArguments()[0].FullName!;
                }
                parameters.Add(new CompiledParameter(property.Name, typeName, aliases, position, Named("Mandatory") is true, pipeline));
            }
            if (cmdlet.NamedArguments.Any(a => a.MemberName == "SupportsShouldProcess" && a.TypedValue.Value is true))
            {
                // PowerShell adds these to every cmdlet that supports ShouldProcess; its help documents them.
                parameters.Add(new CompiledParameter("WhatIf", "System.Management.Automation.SwitchParameter", new[] { "wi" }, null, false, "False"));
                parameters.Add(new CompiledParameter("Confirm", "System.Management.Automation.SwitchParameter", new[] { "cf" }, null, false, "False"));
            }
            result[name] = parameters;
        }
        return result;
    }
}
