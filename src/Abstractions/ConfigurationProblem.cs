namespace RouterHost.Abstractions;

/// <summary>A problem found in configuration, located by its full key path (e.g. <c>RouterHost:Interfaces:0:Mtu</c>).</summary>
/// <param name="Path">The configuration key path of the offending value.</param>
/// <param name="Message">What is wrong with it, and what is expected instead.</param>
public sealed record ConfigurationProblem(string Path, string Message)
{
    /// <inheritdoc />
    public override string ToString() => $"{Path}: {Message}";
}
