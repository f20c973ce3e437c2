using System.Globalization;
using System.Text;
using RouterHost.Abstractions;
using RouterHost.Pipeline;
using RouterHost.WireGuard.Stage;

namespace RouterHost.Hosting;

/// <summary>
/// The answer to the control socket's <c>showconf [STAGE]</c>: a WireGuard stage of the running router in wg-quick's
/// format (<see cref="WireGuardStage.WriteConfig"/>), keys only for root. wg-quick's <c>MTU</c> is the tunnel's
/// <c>Mtu</c>; its <c>Address</c> lines are the addresses of the router's interface when it has exactly one (the
/// layout <c>routerhost import wg-quick</c> writes), and left out otherwise: which interface's addresses would be the
/// tunnel's is not knowable. An error is one line starting with "error: ".
/// </summary>
internal static class ShowconfDocument
{
    public static byte[] Create(Router router, string? stageName, bool includeSecrets)
    {
        var tunnels = router.Stages.Where(s => s.Stage is WireGuardStage).ToList();
        RouterStage? chosen = stageName is { Length: > 0 }
            ? tunnels.FirstOrDefault(s => string.Equals(s.Name, stageName, StringComparison.OrdinalIgnoreCase))
            : tunnels.Count == 1 ? tunnels[0] : null;
        if (chosen?.Stage is not WireGuardStage stage)
        {
            string names = tunnels.Count == 0 ? "this router has no WireGuard stage" : "its WireGuard stages are " + string.Join(", ", tunnels.Select(t => t.Name));
            string what = stageName is { Length: > 0 } ? $"no WireGuard stage is named '{stageName}'" : "name the stage: routerhost showconf STAGE";
            return Encoding.UTF8.GetBytes($"error: {what}; {names}\n");
        }

        var lines = new List<string>();
        if (router.Interfaces.Count == 1)
        {
            foreach (InterfaceAddress address in router.Interfaces[0].Port.Addresses)
            {
                lines.Add($"Address = {address}");
            }
        }

        lines.Add(string.Create(CultureInfo.InvariantCulture, $"MTU = {stage.Mtu}"));
        using var writer = new StringWriter(CultureInfo.InvariantCulture) { NewLine = "\n" };
        stage.WriteConfig(writer, includeSecrets, lines);
        return Encoding.UTF8.GetBytes(writer.ToString());
    }
}
