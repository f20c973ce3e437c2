using System.Runtime.Versioning;
using static RouterHost.Plugins.Wintun.Interop.IpHelper;

namespace RouterHost.Plugins.Wintun.Internal;

/// <summary><see cref="IIpHelperApi"/> over iphlpapi.dll. Each row is copied to the stack and passed by pointer.</summary>
[SupportedOSPlatform("windows")]
internal sealed unsafe class IpHelperNativeApi : IIpHelperApi
{
    public static IpHelperNativeApi Instance { get; } = new();

    public void InitializeUnicastIpAddressEntry(out MIB_UNICASTIPADDRESS_ROW row)
    {
        MIB_UNICASTIPADDRESS_ROW r;
        Interop.IpHelper.InitializeUnicastIpAddressEntry(&r);
        row = r;
    }

    public int CreateUnicastIpAddressEntry(in MIB_UNICASTIPADDRESS_ROW row)
    {
        MIB_UNICASTIPADDRESS_ROW r = row;
        return (int)Interop.IpHelper.CreateUnicastIpAddressEntry(&r);
    }

    public int DeleteUnicastIpAddressEntry(in MIB_UNICASTIPADDRESS_ROW row)
    {
        MIB_UNICASTIPADDRESS_ROW r = row;
        return (int)Interop.IpHelper.DeleteUnicastIpAddressEntry(&r);
    }

    public void InitializeIpForwardEntry(out MIB_IPFORWARD_ROW2 row)
    {
        MIB_IPFORWARD_ROW2 r;
        Interop.IpHelper.InitializeIpForwardEntry(&r);
        row = r;
    }

    public int CreateIpForwardEntry2(in MIB_IPFORWARD_ROW2 row)
    {
        MIB_IPFORWARD_ROW2 r = row;
        return (int)Interop.IpHelper.CreateIpForwardEntry2(&r);
    }

    public int DeleteIpForwardEntry2(in MIB_IPFORWARD_ROW2 row)
    {
        MIB_IPFORWARD_ROW2 r = row;
        return (int)Interop.IpHelper.DeleteIpForwardEntry2(&r);
    }

    public void InitializeIpInterfaceEntry(out MIB_IPINTERFACE_ROW row)
    {
        MIB_IPINTERFACE_ROW r;
        Interop.IpHelper.InitializeIpInterfaceEntry(&r);
        row = r;
    }

    public int GetIpInterfaceEntry(ref MIB_IPINTERFACE_ROW row)
    {
        fixed (MIB_IPINTERFACE_ROW* r = &row)
        {
            return (int)Interop.IpHelper.GetIpInterfaceEntry(r);
        }
    }

    public int SetIpInterfaceEntry(ref MIB_IPINTERFACE_ROW row)
    {
        fixed (MIB_IPINTERFACE_ROW* r = &row)
        {
            return (int)Interop.IpHelper.SetIpInterfaceEntry(r);
        }
    }
}
