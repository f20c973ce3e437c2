using System.Net;
using RouterHost.Plugins.Wintun.Internal;
using static RouterHost.Plugins.Wintun.Interop.Errors;
using static RouterHost.Plugins.Wintun.Interop.IpHelper;

namespace RouterHost.Plugins.Wintun.Tests.Support;

/// <summary>
/// The IP Helper API in memory: one interface per family (unless <see cref="MissingFamilies"/>), addresses and routes
/// as sets keyed the way Windows keys them (address; destination prefix + next hop), ERROR_OBJECT_ALREADY_EXISTS for a
/// duplicate, ERROR_NOT_FOUND for deleting something absent. Every call is recorded in the shared call log.
/// </summary>
internal sealed unsafe class RecordingIpHelper : IIpHelperApi
{
    private readonly List<string> _calls;

    public RecordingIpHelper(List<string> callLog) => _calls = callLog;

    /// <summary>Addresses present on the interface: text "10.0.0.1/24".</summary>
    public HashSet<string> Addresses { get; } = [];

    /// <summary>Routes present: text "10.1.0.0/16 via 0.0.0.0 metric 5".</summary>
    public HashSet<string> Routes { get; } = [];

    /// <summary>Every address row passed to CreateUnicastIpAddressEntry.</summary>
    public List<MIB_UNICASTIPADDRESS_ROW> CreatedAddressRows { get; } = [];

    /// <summary>Every route row passed to CreateIpForwardEntry2.</summary>
    public List<MIB_IPFORWARD_ROW2> CreatedRouteRows { get; } = [];

    /// <summary>Every interface row passed to SetIpInterfaceEntry.</summary>
    public List<MIB_IPINTERFACE_ROW> SetInterfaceRows { get; } = [];

    /// <summary>NlMtu per family.</summary>
    public Dictionary<ushort, uint> Mtu { get; } = new() { [AF_INET] = 1500, [AF_INET6] = 1500 };

    /// <summary>Families with no IP interface on the adapter (GetIpInterfaceEntry: ERROR_NOT_FOUND).</summary>
    public HashSet<ushort> MissingFamilies { get; } = [];

    /// <summary>If set, CreateIpForwardEntry2 fails with this error.</summary>
    public int FailRoutesWith { get; set; }

    public void InitializeUnicastIpAddressEntry(out MIB_UNICASTIPADDRESS_ROW row)
    {
        // What the documentation says InitializeUnicastIpAddressEntry sets: infinite lifetimes, "unchanged" origins.
        row = default;
        row.PrefixOrigin = NL_PREFIX_ORIGIN.IpPrefixOriginUnchanged;
        row.SuffixOrigin = NL_SUFFIX_ORIGIN.IpSuffixOriginUnchanged;
        row.ValidLifetime = INFINITE_LIFETIME;
        row.PreferredLifetime = INFINITE_LIFETIME;
        row.OnLinkPrefixLength = 0xFF;
    }

    public int CreateUnicastIpAddressEntry(in MIB_UNICASTIPADDRESS_ROW row)
    {
        string text = $"{Address(row.Address)}/{row.OnLinkPrefixLength}";
        _calls.Add($"CreateUnicastIpAddressEntry({text})");
        CreatedAddressRows.Add(row);
        return Addresses.Add(text) ? ERROR_SUCCESS : ERROR_OBJECT_ALREADY_EXISTS;
    }

    public int DeleteUnicastIpAddressEntry(in MIB_UNICASTIPADDRESS_ROW row)
    {
        string text = $"{Address(row.Address)}/{row.OnLinkPrefixLength}";
        _calls.Add($"DeleteUnicastIpAddressEntry({text})");
        return Addresses.Remove(text) ? ERROR_SUCCESS : ERROR_NOT_FOUND;
    }

    public void InitializeIpForwardEntry(out MIB_IPFORWARD_ROW2 row)
    {
        row = default;
        row.ValidLifetime = INFINITE_LIFETIME;
        row.PreferredLifetime = INFINITE_LIFETIME;
        row.Metric = uint.MaxValue;
        row.Protocol = NL_ROUTE_PROTOCOL.RouteProtocolOther;
    }

    public int CreateIpForwardEntry2(in MIB_IPFORWARD_ROW2 row)
    {
        string text = RouteText(row);
        _calls.Add($"CreateIpForwardEntry2({text})");
        CreatedRouteRows.Add(row);
        if (FailRoutesWith != 0)
        {
            return FailRoutesWith;
        }

        return Routes.Add(text) ? ERROR_SUCCESS : ERROR_OBJECT_ALREADY_EXISTS;
    }

    public int DeleteIpForwardEntry2(in MIB_IPFORWARD_ROW2 row)
    {
        string text = RouteText(row);
        _calls.Add($"DeleteIpForwardEntry2({text})");
        return Routes.Remove(text) ? ERROR_SUCCESS : ERROR_NOT_FOUND;
    }

    public void InitializeIpInterfaceEntry(out MIB_IPINTERFACE_ROW row)
    {
        row = default;
        row.SitePrefixLength = 0xFFFFFFFF;
    }

    public int GetIpInterfaceEntry(ref MIB_IPINTERFACE_ROW row)
    {
        _calls.Add($"GetIpInterfaceEntry({Family(row.Family)})");
        if (MissingFamilies.Contains(row.Family) || !Mtu.TryGetValue(row.Family, out uint mtu))
        {
            return ERROR_NOT_FOUND;
        }

        row.NlMtu = mtu;
        row.SitePrefixLength = row.Family == AF_INET6 ? 64u : 32u;
        return ERROR_SUCCESS;
    }

    public int SetIpInterfaceEntry(ref MIB_IPINTERFACE_ROW row)
    {
        _calls.Add($"SetIpInterfaceEntry({Family(row.Family)}, NlMtu {row.NlMtu})");
        SetInterfaceRows.Add(row);
        if (row.Family == AF_INET && row.SitePrefixLength != 0)
        {
            // As Windows does: an IPv4 row must come with SitePrefixLength 0.
            return ERROR_INVALID_PARAMETER;
        }

        Mtu[row.Family] = row.NlMtu;
        return ERROR_SUCCESS;
    }

    public static string Address(in SOCKADDR_INET address)
    {
        fixed (SOCKADDR_INET* a = &address)
        {
            return address.si_family == AF_INET
                ? new IPAddress(new ReadOnlySpan<byte>(a->Ipv4.sin_addr, 4)).ToString()
                : new IPAddress(new ReadOnlySpan<byte>(a->Ipv6.sin6_addr, 16)).ToString();
        }
    }

    public static string RouteText(in MIB_IPFORWARD_ROW2 row) =>
        $"{Address(row.DestinationPrefix.Prefix)}/{row.DestinationPrefix.PrefixLength} via {Address(row.NextHop)} metric {row.Metric}";

    private static string Family(ushort family) => family == AF_INET ? "IPv4" : family == AF_INET6 ? "IPv6" : $"family {family}";
}
