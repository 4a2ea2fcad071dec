-- Argo CD health check for Highlander's workloads: WorkloadProcess, WorkloadCronJob,
-- WorkloadService and WorkloadPersistent (group highlander.plexobject.io) share this script.
-- Argo CD hands the resource over as `obj` and reads back {status=..., message=...}.
--
-- It reads what the Highlander leader writes: status.observedGeneration and the kstatus
-- conditions Ready, Reconciling and Stalled, each stamped with the generation it describes.
-- A condition about an older generation says nothing about the spec in Git, so a stale one
-- means Progressing, never Healthy or Degraded.
--
-- Plain Lua 5.1: Argo CD runs health scripts in gopher-lua. deploy/argocd/argocd-cm.yaml is
-- generated from this file (deploy/argocd/generate.sh); edit here, then regenerate.

local function condition(conditions, kind)
  if type(conditions) ~= "table" then
    return nil
  end
  for _, c in ipairs(conditions) do
    if type(c) == "table" and c.type == kind then
      return c
    end
  end
  return nil
end

local function describe(c, fallback)
  if c ~= nil and type(c.message) == "string" and c.message ~= "" then
    return c.message
  end
  if c ~= nil and type(c.reason) == "string" and c.reason ~= "" then
    return c.reason
  end
  return fallback
end

local function generationText(n)
  if type(n) ~= "number" then
    return "none"
  end
  return string.format("%d", n)
end

local meta = obj.metadata or {}
local spec = obj.spec or {}
local status = obj.status
local generation = meta.generation

-- A condition (or the status) is current when it was written for the spec in force now.
local function current(observed)
  return observed == nil or observed == generation
end

if meta.deletionTimestamp ~= nil then
  return { status = "Progressing", message = "the workload is being deleted" }
end

if type(status) ~= "table" then
  return { status = "Progressing", message = "waiting for the Highlander leader to report status" }
end

local conditions = status.conditions
local statusCurrent = status.observedGeneration ~= nil and status.observedGeneration == generation
local stalled = condition(conditions, "Stalled")
local reconciling = condition(conditions, "Reconciling")
local ready = condition(conditions, "Ready")

-- 1. Stalled about this generation: the spec cannot work without a change.
if stalled ~= nil and stalled.status == "True" and statusCurrent and current(stalled.observedGeneration) then
  return { status = "Degraded", message = describe(stalled, "the workload is stalled") }
end

-- 2. A suspended cron job rests on purpose.
if obj.kind == "WorkloadCronJob" and spec.suspend == true then
  return { status = "Suspended", message = "the cron job is suspended (spec.suspend is true)" }
end

-- 3. The leader has not yet acted on this generation of the spec.
if not statusCurrent then
  return {
    status = "Progressing",
    message = "waiting for the Highlander leader to observe generation " .. generationText(generation) ..
      " (status describes generation " .. generationText(status.observedGeneration) .. ")",
  }
end

-- 4. Still converging.
if reconciling ~= nil and reconciling.status == "True" and current(reconciling.observedGeneration) then
  return { status = "Progressing", message = describe(reconciling, "reconciling") }
end

if ready == nil then
  return { status = "Progressing", message = "waiting for the Ready condition" }
end
if not current(ready.observedGeneration) then
  return {
    status = "Progressing",
    message = "the Ready condition describes generation " .. generationText(ready.observedGeneration) ..
      ", not " .. generationText(generation),
  }
end
if ready.status ~= "True" then
  return { status = "Progressing", message = describe(ready, "the workload is not ready yet") }
end

-- 5. Ready for the spec in force.
return { status = "Healthy", message = describe(ready, "ready") }
