namespace ScanTools.Storage.Writes;

/// <summary>Where a <see cref="DirectoryListing"/>'s records come from, which decides what the writer may infer.</summary>
public enum ListingMode
{
    /// <summary>
    /// A walk listed the folder: once the final chunk says the listing is complete, files and
    /// subfolders the catalog holds but the listing lacks are marked removed.
    /// </summary>
    Walk = 0,

    /// <summary>Individual records (Write-Finding): they are upserted, nothing is inferred about the rest of the folder.</summary>
    Records = 1,
}
