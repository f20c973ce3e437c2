namespace RouterHost.Abstractions;

/// <summary>
/// Services stages offer each other without depending on each other's assemblies: a stage publishes an
/// implementation of a contract interface while it is created (the routing stage publishes
/// <see cref="Routing.IRouteResolver"/>), and any stage looks it up in <see cref="IStage.Start"/>. Only types from
/// this SDK (or the BCL) can be shared this way, since each plugin has its own load context.
/// </summary>
public interface IStageServices
{
    /// <summary>Publishes <paramref name="service"/> as the <typeparamref name="T"/> of this router; one per type.</summary>
    void Publish<T>(T service)
        where T : class;

    /// <summary>Finds a published service.</summary>
    bool TryGet<T>([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out T? service)
        where T : class;
}
