using RouterHost.Linux.TestSupport;

namespace RouterHost.Netlink.Tests.Support;

internal static class Requires
{
    /// <summary>Skips the calling test, with the precise reason, where network namespaces cannot be made.</summary>
    public static void NetworkNamespaces() =>
        Assert.SkipUnless(NetworkNamespace.IsSupported, NetworkNamespace.UnsupportedReason ?? string.Empty);
}
