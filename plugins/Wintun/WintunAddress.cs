using System.Net;

namespace RouterHost.Plugins.Wintun;

/// <summary>An address of the adapter with its on-link prefix length, as in <c>10.0.0.1/24</c>.</summary>
internal readonly record struct WintunAddress(IPAddress Address, int PrefixLength)
{
    public override string ToString() => $"{Address}/{PrefixLength}";
}
