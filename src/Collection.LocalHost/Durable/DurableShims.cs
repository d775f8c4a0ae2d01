using System.Reflection;
using System.Reflection.Emit;
using Microsoft.Azure.WebJobs;
using Microsoft.Azure.WebJobs.Extensions.DurableTask;

namespace Collection.LocalHost.Durable;

/// <summary>
/// The WebJobs side of the app's Durable functions. The Durable extension runs orchestrators and
/// activities as WebJobs functions; the Functions host generates one such function per worker function
/// (from <c>functions.metadata</c>) that forwards the trigger to the worker, and so does this: a type is
/// emitted at start-up with one method per orchestrator and activity, each calling <see cref="DurableShimTarget"/>.
/// A last method, never triggered, reads the <c>[DurableClient]</c> binding that isolated functions receive.
/// </summary>
internal static class DurableShims
{
    public const string ClientProbeName = "LocalHost-DurableClientProbe";

    public static Type Emit(int host, IReadOnlyCollection<(string Name, string TriggerType)> functions)
    {
        ArgumentNullException.ThrowIfNull(functions);
        var assembly = AssemblyBuilder.DefineDynamicAssembly(new AssemblyName($"Collection.LocalHost.DurableShims{host}"), AssemblyBuilderAccess.Run);
        var module = assembly.DefineDynamicModule("Collection.LocalHost.DurableShims");
        var type = module.DefineType("Collection.LocalHost.DurableShims.Functions", TypeAttributes.Public | TypeAttributes.Abstract | TypeAttributes.Sealed | TypeAttributes.Class);
        foreach (var (name, triggerType) in functions)
        {
            if (string.Equals(triggerType, "orchestrationTrigger", StringComparison.OrdinalIgnoreCase))
            {
                Forward(type, host, name, typeof(OrchestrationTriggerAttribute), nameof(DurableShimTarget.OrchestratorAsync), typeof(Task<string>));
            }
            else if (string.Equals(triggerType, "activityTrigger", StringComparison.OrdinalIgnoreCase))
            {
                Forward(type, host, name, typeof(ActivityTriggerAttribute), nameof(DurableShimTarget.ActivityAsync), typeof(Task<object>));
            }
        }

        // void Probe([DurableClient] string client) => DurableShimTarget.ClientProbe(host, client);
        var probe = type.DefineMethod("ClientProbe", MethodAttributes.Public | MethodAttributes.Static, typeof(void), [typeof(string)]);
        probe.SetCustomAttribute(Attribute<FunctionNameAttribute>([typeof(string)], [ClientProbeName]));
        probe.SetCustomAttribute(Attribute<NoAutomaticTriggerAttribute>([], []));
        probe.DefineParameter(1, ParameterAttributes.None, "client").SetCustomAttribute(Attribute<DurableClientAttribute>([], []));
        var il = probe.GetILGenerator();
        il.Emit(OpCodes.Ldc_I4, host);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Call, typeof(DurableShimTarget).GetMethod(nameof(DurableShimTarget.ClientProbe))!);
        il.Emit(OpCodes.Ret);
        return type.CreateType();
    }

    /// <summary><c>static Task&lt;T&gt; Name([Trigger] string input) => DurableShimTarget.Target(host, "Name", input);</c></summary>
    private static void Forward(TypeBuilder type, int host, string functionName, Type triggerAttribute, string target, Type returnType)
    {
        var method = type.DefineMethod(Identifier(functionName), MethodAttributes.Public | MethodAttributes.Static, returnType, [typeof(string)]);
        method.SetCustomAttribute(Attribute<FunctionNameAttribute>([typeof(string)], [functionName]));
        method.DefineParameter(1, ParameterAttributes.None, "input")
            .SetCustomAttribute(new CustomAttributeBuilder(triggerAttribute.GetConstructor(Type.EmptyTypes)!, []));
        var il = method.GetILGenerator();
        il.Emit(OpCodes.Ldc_I4, host);
        il.Emit(OpCodes.Ldstr, functionName);
        il.Emit(OpCodes.Ldarg_0);
        il.Emit(OpCodes.Call, typeof(DurableShimTarget).GetMethod(target)!);
        il.Emit(OpCodes.Ret);
    }

    private static CustomAttributeBuilder Attribute<T>(Type[] parameters, object[] arguments) =>
        new(typeof(T).GetConstructor(parameters)!, arguments);

    private static string Identifier(string name) =>
        new(name.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());
}
