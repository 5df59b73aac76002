import { packageBuild } from "../../tsup.package.js";

export default packageBuild(["src/index.ts", "src/backend.ts", "src/common.ts"]);
