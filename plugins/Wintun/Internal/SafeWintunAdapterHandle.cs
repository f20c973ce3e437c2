using System.Runtime.InteropServices;

namespace RouterHost.Plugins.Wintun.Internal;

/// <summary>A Wintun adapter handle, closed exactly once with WintunCloseAdapter (which also removes an adapter this process created).</summary>
internal sealed class SafeWintunAdapterHandle : SafeHandle
{
    private readonly IWintunApi _api;

    public SafeWintunAdapterHandle(IWintunApi api, nint adapter)
        : base(0, ownsHandle: true)
    {
        _api = api;
        SetHandle(adapter);
    }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        _api.CloseAdapter(handle);
        return true;
    }
}
