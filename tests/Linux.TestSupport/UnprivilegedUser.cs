namespace RouterHost.Linux.TestSupport;

/// <summary>
/// The attacker of the trust tests: a real unprivileged user, <c>nobody</c> (uid and gid 65534, no supplementary
/// groups), whose steps run as that user through util-linux's <c>setpriv</c>, as a local attacker's would.
/// </summary>
public static class UnprivilegedUser
{
    /// <summary>nobody's uid (and gid, nogroup).</summary>
    public const int Id = 65534;

    private const string Setpriv = "/usr/bin/setpriv";

    /// <summary>Why the attacker's steps cannot be run here (not root, no setpriv), or null when they can.</summary>
    public static string? UnavailableReason =>
        Interop.Libc.geteuid() != 0 ? "the tests must run as root to act as another user"
        : !File.Exists(Setpriv) ? "setpriv is not installed (apt-get install util-linux)"
        : null;

    /// <summary>Runs <paramref name="program"/> as nobody; throws with its stderr when it fails.</summary>
    public static ExecResult Run(string program, params string[] args) =>
        ChildProcess.Run(Setpriv, [$"--reuid={Id}", $"--regid={Id}", "--clear-groups", program, .. args]).EnsureSuccess();

    /// <summary>Runs a <c>/bin/sh</c> script as nobody; throws with its stderr when it fails.</summary>
    public static ExecResult Shell(string script) => Run("/bin/sh", "-c", script);
}
