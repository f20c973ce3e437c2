namespace RouterHost.Linux.TestSupport;

/// <summary>
/// The check every test project that uses this library runs (derive a sealed class from it): no test class reaches
/// the namespace helpers, <see cref="Requires"/> or <see cref="UnprivilegedUser"/> without <see cref="NeedsRootAttribute"/>,
/// so <c>--filter "Needs!=root"</c> really picks the tests that run anywhere.
/// </summary>
public abstract class NeedsRootTraitCheck
{
    /// <summary>Fails naming every test class of the derived class's assembly that needs root and does not say so.</summary>
    [Fact]
    public void Every_test_class_that_needs_root_carries_the_NeedsRoot_trait()
    {
        IReadOnlyList<string> missing = NeedsRootAudit.ClassesMissingTheTrait(GetType().Assembly);
        Assert.True(missing.Count == 0, $"these test classes make namespaces or act as another user but carry no [NeedsRoot]: {string.Join(", ", missing)}");
    }
}
