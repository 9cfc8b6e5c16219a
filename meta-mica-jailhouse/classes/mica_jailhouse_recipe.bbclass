# Inherited by every recipe of meta-mica-jailhouse: the recipe exists only
# when MCS_FEATURES contains "jailhouse" (so that adding the layer changes
# nothing otherwise), and a misconfiguration stops the parse with a message.
#
# A recipe with a further precondition sets MICA_JAILHOUSE_SKIP to the reason
# it cannot be built (empty: it can), e.g. an unset variable the user must
# provide; the reason names the variable to set.

inherit mica_jailhouse_common

MICA_JAILHOUSE_SKIP ??= ""

# The gate must run at parse time, per recipe: that is what anonymous Python
# is for (SkipRecipe with a reason bitbake shows when something needs it).
# nooelint: oelint.task.noanonpython
python __anonymous() {
    if not mica_jailhouse_enabled(d):
        raise bb.parse.SkipRecipe('needs "jailhouse" in MCS_FEATURES (meta-mica-jailhouse)')
    mica_jailhouse_check(d)
    reason = (d.getVar("MICA_JAILHOUSE_SKIP") or "").strip()
    if reason:
        raise bb.parse.SkipRecipe(reason)
}
