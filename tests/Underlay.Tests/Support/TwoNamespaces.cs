namespace RouterHost.Underlay.Tests.Support;

/// <summary>
/// Two network namespaces joined by a veth pair: A (<c>va</c>) has 10.77.0.1/24 and fd00:77::1/64 first and a second
/// address of each family (10.77.0.3, and fd00:77::8000:0:0:3 deprecated); B (<c>vb</c>) has 10.77.0.2/24 and
/// fd00:77::2/64. Kernel source selection from A to B picks the first addresses. Disposing removes everything.
/// </summary>
internal static class TwoNamespaces
{
    public const string A4 = "10.77.0.1";
    public const string A4Second = "10.77.0.3";
    public const string B4 = "10.77.0.2";
    public const string A6 = "fd00:77::1";
    public const string A6Second = "fd00:77::8000:0:0:3";
    public const string B6 = "fd00:77::2";

    public static NamespacePair Create(string prefix)
    {
        NamespacePair net = NamespacePair.Create(prefix, "va", "vb", [$"{A4}/24", $"{A6}/64"], [$"{B4}/24", $"{B6}/64"]);
        try
        {
            net.A.Ip("addr", "add", $"{A4Second}/24", "dev", "va").EnsureSuccess();
            // Deprecated (preferred_lft 0), so the kernel never picks it on its own but it still sends and receives:
            // IPv6 source selection otherwise prefers the newest address of equal prefix match.
            net.A.Ip("addr", "add", $"{A6Second}/64", "dev", "va", "nodad", "preferred_lft", "0").EnsureSuccess();
            return net;
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }
}
