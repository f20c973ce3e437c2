namespace RouterHost.Plugins.Wintun;

/// <summary>How the interface gets its Wintun adapter.</summary>
internal enum WintunAdapterMode
{
    /// <summary>Create an adapter that lives as long as the router (WintunCreateAdapter; removed at exit).</summary>
    Create = 0,

    /// <summary>Use an existing adapter of that name (WintunOpenAdapter; left in place at exit, without this run's addresses and routes).</summary>
    Open = 1,
}
