using System.Globalization;
using System.Text.Json;

namespace ScanTools.Bench;

/// <summary>One figure of a run.</summary>
public sealed record Result(string Name, double Value, string Unit, string Note = "");

/// <summary>Collects figures, prints them as a table and writes them as JSON.</summary>
public sealed class Results
{
    private readonly List<Result> _all = new();

    public IReadOnlyList<Result> All => _all;

    public void Add(string name, double value, string unit, string note = "")
    {
        var r = new Result(name, value, unit, note);
        _all.Add(r);
        Console.WriteLine($"  {name,-28} {Format(value),14} {unit,-8} {note}");
    }

    public double? Get(string name) => _all.FirstOrDefault(r => r.Name == name)?.Value;

    public void WriteJson(string path)
    {
        var rows = _all.Select(r => new { name = r.Name, value = Math.Round(r.Value, 4), unit = r.Unit });
        File.WriteAllText(path, JsonSerializer.Serialize(rows, new JsonSerializerOptions { WriteIndented = true }) + Environment.NewLine);
    }

    public void PrintTable()
    {
        Console.WriteLine();
        Console.WriteLine("| name | value | unit | note |");
        Console.WriteLine("|---|---:|---|---|");
        foreach (Result r in _all)
        {
            Console.WriteLine($"| {r.Name} | {Format(r.Value)} | {r.Unit} | {r.Note} |");
        }
    }

    private static string Format(double v) =>
        Math.Abs(v) >= 1000 ? v.ToString("N0", CultureInfo.InvariantCulture) : v.ToString("0.###", CultureInfo.InvariantCulture);

    /// <summary>The value below which <paramref name="fraction"/> of <paramref name="values"/> lie (nearest rank).</summary>
    public static double Percentile(IEnumerable<double> values, double fraction)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(fraction * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
