using System.Management.Automation;

namespace ScanTools.Commands;

/// <summary>
/// Refuses $null and empty strings among a parameter's values, as ValidateNotNullOrEmpty does, but lets an empty
/// list bind, so that the cmdlet can say what an empty list means where it came from (the pipeline or the command line).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class ValidateNoEmptyElementAttribute : ValidateEnumeratedArgumentsAttribute
{
    /// <inheritdoc />
    protected override void ValidateElement(object element)
    {
        if (element is null || element is string { Length: 0 } || element is PSObject { BaseObject: string { Length: 0 } })
        {
            throw new ValidationMetadataException("The argument is null or empty. Provide an argument that is not null or empty, and then try the command again.");
        }
    }
}
