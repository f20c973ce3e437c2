using static RouterHost.Plugins.Wintun.Interop.IpHelper;

namespace RouterHost.Plugins.Wintun.Internal;

/// <summary>
/// The seam over the IP Helper calls that configure the adapter: one method per netioapi.h function, taking the
/// same rows. Results are Win32 error codes (0 = NO_ERROR). The real implementation is
/// <see cref="IpHelperNativeApi"/>; the tests record the rows to check what would be configured and removed.
/// </summary>
internal interface IIpHelperApi
{
    void InitializeUnicastIpAddressEntry(out MIB_UNICASTIPADDRESS_ROW row);

    int CreateUnicastIpAddressEntry(in MIB_UNICASTIPADDRESS_ROW row);

    int DeleteUnicastIpAddressEntry(in MIB_UNICASTIPADDRESS_ROW row);

    void InitializeIpForwardEntry(out MIB_IPFORWARD_ROW2 row);

    int CreateIpForwardEntry2(in MIB_IPFORWARD_ROW2 row);

    int DeleteIpForwardEntry2(in MIB_IPFORWARD_ROW2 row);

    void InitializeIpInterfaceEntry(out MIB_IPINTERFACE_ROW row);

    int GetIpInterfaceEntry(ref MIB_IPINTERFACE_ROW row);

    int SetIpInterfaceEntry(ref MIB_IPINTERFACE_ROW row);
}
