using System.Globalization;

namespace ScanTools.Hosting;

/// <summary>Sizes for people: 0 B, 912 B, 4.2 KB, 1.9 GB (powers of 1024, as Explorer and ls -h show them).</summary>
public static class ByteSize
{
    private static readonly string[] Units = { "B", "KB", "MB", "GB", "TB", "PB", "EB" };

    /// <summary>Formats <paramref name="bytes"/> with one decimal above 1 KB.</summary>
    public static string Format(long bytes)
    {
        if (bytes < 1024)
        {
            return bytes.ToString(CultureInfo.InvariantCulture) + " B";
        }
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return value.ToString(value >= 100 ? "0" : "0.0", CultureInfo.InvariantCulture) + " " + Units[unit];
    }
}
