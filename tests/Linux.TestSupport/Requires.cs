using RouterHost.Linux.Namespaces;

namespace RouterHost.Linux.TestSupport;

/// <summary>
/// Skips a functional test only where the facility it needs is truly absent, saying precisely why (not Linux, not
/// root, no <c>ip</c>). Classes that call it carry <see cref="NeedsRootAttribute"/>.
/// </summary>
public static class Requires
{
    /// <summary>Skips the calling test, with the precise reason, where network namespaces cannot be made.</summary>
    public static void NetworkNamespaces() =>
        Assert.SkipUnless(NetworkNamespace.IsSupported, NetworkNamespace.UnsupportedReason ?? string.Empty);
}
