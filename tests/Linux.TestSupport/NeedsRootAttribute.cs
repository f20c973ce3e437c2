using Xunit.v3;

namespace RouterHost.Linux.TestSupport;

/// <summary>
/// Marks tests that need root and the machine's real facilities — network namespaces, veth pairs, TUN devices,
/// another user, the built routerhost in a namespace — with the trait <c>Needs=root</c>, so the ones that run anywhere
/// can be picked with <c>dotnet test --filter "Needs!=root"</c> (see docs/testing.md). Put it on the class.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, AllowMultiple = false)]
public sealed class NeedsRootAttribute : Attribute, ITraitAttribute
{
    /// <summary>The trait's name.</summary>
    public const string Name = "Needs";

    /// <summary>The trait's value.</summary>
    public const string Value = "root";

    /// <inheritdoc/>
    public IReadOnlyCollection<KeyValuePair<string, string>> GetTraits() => [new(Name, Value)];
}
