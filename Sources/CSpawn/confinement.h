/* Private to CSpawn: the confinement step of the child (see cspawn.h, stage CONFINEMENT). */
#ifndef BERTH_CSPAWN_CONFINEMENT_H
#define BERTH_CSPAWN_CONFINEMENT_H

#include "cspawn.h"

/* Runs in the child between fork and exec: async-signal-safe system calls only, no allocation.
 * Returns 0, or -(errno | step << 16) for the first step that failed (a cspawn_confinement_step;
 * reported as CSPAWN_STAGE_CONFINEMENT with that value as the error). NULL: no confinement. */
int cspawn_apply_confinement(const cspawn_confinement *confinement);

#endif
