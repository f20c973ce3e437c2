namespace RouterHost.Abstractions;

/// <summary>
/// A reconfigurable stage (<see cref="IReconfigurableStage"/>) some of whose settings take effect only when it is
/// created. On a reload the host compares the stage's old and new settings key by key; a changed key at or below one of
/// <see cref="RestartBoundKeys"/> is logged with its key path as not applied (needs a restart), never as applied. (For a
/// stage that is not reconfigurable at all, every changed key is reported so.)
/// </summary>
public interface IRestartBoundSettings
{
    /// <summary>
    /// Keys relative to the stage's <c>Settings</c> section, <c>:</c>-separated (e.g. <c>ListenAddresses</c>,
    /// <c>Offloads</c>), whose changes the running stage keeps as they were. Compared case-insensitively.
    /// </summary>
    IReadOnlyList<string> RestartBoundKeys { get; }
}
