using System.Runtime.InteropServices;

namespace RouterHost.Plugins.Wintun.Internal;

/// <summary>
/// A Wintun session handle, ended exactly once with WintunEndSession. It holds a reference on its adapter's handle,
/// so the adapter is never closed while the session is alive, whatever order the two are disposed in.
/// </summary>
internal sealed class SafeWintunSessionHandle : SafeHandle
{
    private readonly IWintunApi _api;
    private readonly SafeWintunAdapterHandle _adapter;

    public SafeWintunSessionHandle(IWintunApi api, nint session, SafeWintunAdapterHandle adapter)
        : base(0, ownsHandle: true)
    {
        _api = api;
        _adapter = adapter;
        bool added = false;
        adapter.DangerousAddRef(ref added);
        SetHandle(session);
    }

    public override bool IsInvalid => handle == 0;

    protected override bool ReleaseHandle()
    {
        _api.EndSession(handle);
        _adapter.DangerousRelease();
        return true;
    }
}
