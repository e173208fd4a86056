using ScanTools.HelpBuilder;

// usage: ScanTools.HelpBuilder DOCS_DIR CULTURE_DIR HELP_FILE_NAME
//   Reads every Verb-Noun.md page of DOCS_DIR into one MAML file CULTURE_DIR/HELP_FILE_NAME, and every
//   about_*.md page into CULTURE_DIR/about_*.help.txt. Exit 0 on success; 1 (with the page and the part
//   at fault) when a page does not have the shape of a platyPS page; 2 on wrong arguments.
if (args.Length != 3 || !Directory.Exists(args[0]))
{
    Console.Error.WriteLine("usage: ScanTools.HelpBuilder DOCS_DIR CULTURE_DIR HELP_FILE_NAME");
    return 2;
}
string docs = args[0], culture = args[1], helpFile = args[2];
try
{
    Directory.CreateDirectory(culture);
    var cmdlets = new List<CmdletHelp>();
    foreach (string page in Directory.GetFiles(docs, "*.md").Order(StringComparer.Ordinal))
    {
        string name = Path.GetFileNameWithoutExtension(page);
        string text = File.ReadAllText(page);
        if (name.StartsWith("about_", StringComparison.OrdinalIgnoreCase))
        {
            File.WriteAllText(Path.Combine(culture, name + ".help.txt"), AboutTopicWriter.Render(text, page));
        }
        else
        {
            CmdletHelp help = CmdletHelpReader.Read(text, page);
            if (!help.Name.Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                throw new HelpFormatException($"{page}: the page describes '{help.Name}'; name the file after the cmdlet.");
            }
            cmdlets.Add(help);
        }
    }
    MamlWriter.Save(MamlWriter.Build(cmdlets), Path.Combine(culture, helpFile));
    Console.WriteLine($"Help for {cmdlets.Count} cmdlets -> {Path.Combine(culture, helpFile)}");
    return 0;
}
catch (HelpFormatException ex)
{
    Console.Error.WriteLine($"error: {ex.Message}");
    return 1;
}
